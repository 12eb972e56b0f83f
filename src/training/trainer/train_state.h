// Everything a training run needs to continue exactly where it stopped: what
// Train() hands to on_epoch_end after each epoch, what checkpoint.h turns into bytes and
// back, and what Train() takes to resume.
#ifndef AIAAS_TRAINING_TRAINER_TRAIN_STATE_H_
#define AIAAS_TRAINING_TRAINER_TRAIN_STATE_H_

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace aiaas::training {

// Metrics of one finished epoch. Epochs are numbered from 1.
struct EpochMetrics {
  int64_t epoch = 0;
  double train_loss = 0.0;             // sample-weighted mean over the epoch's batches
  std::optional<double> val_loss;      // none without validation data
  std::optional<double> val_accuracy;  // classification with validation data only
  double lr = 0.0;                     // learning rate of the epoch's last step
  double seconds = 0.0;                // wall time of the epoch, validation included
  // Wall time of the epoch's training steps only: from the shuffle to the end of the last
  // optimizer step (progress callbacks included; validation and the epoch-end callback
  // not), and the training samples per second over that time. Not kept in checkpoints:
  // 0 for the epochs before a resume.
  double train_seconds = 0.0;
  double samples_per_s = 0.0;
};

// A parameter or buffer of the model by its torch::nn::Module name ("fc1.weight").
struct NamedTensor {
  std::string name;
  at::Tensor value;
};

// Early-stopping bookkeeping (meaningful only when the spec enables early stopping).
struct EarlyStoppingState {
  double best_metric = std::numeric_limits<double>::quiet_NaN();  // NaN: no epoch yet
  int64_t best_epoch = 0;                                         // 0: none yet
  int64_t bad_epochs = 0;  // consecutive epochs without improvement
  bool stopped = false;    // patience ran out: the run is over
};

// The state after `epochs_completed` epochs. The shuffle order of epoch e depends only on
// (seed, e), so no generator state is needed; the learning rate depends only on
// global_step (the scheduler position). Tensors are detached copies owned by the state.
struct TrainState {
  int64_t epochs_completed = 0;
  int64_t global_step = 0;                 // optimizer steps taken so far
  std::vector<NamedTensor> model_weights;  // named_parameters() then named_buffers()
  std::string optimizer_state;             // torch::optim::Optimizer::save archive bytes
  EarlyStoppingState early_stopping;
  std::vector<NamedTensor> best_weights;  // weights of early_stopping.best_epoch; may be empty
  std::vector<EpochMetrics> history;      // one entry per completed epoch
};

}  // namespace aiaas::training

#endif  // AIAAS_TRAINING_TRAINER_TRAIN_STATE_H_
