// Checkpoints: a TrainState as bytes and back, and the pieces the trainer also uses on
// their own (weight snapshots, optimizer state).
//
// Format: an 8-byte magic "AIAASTS\0", a little-endian uint32 format version (1), the
// uint64 payload length and the uint64 FNV-1a hash of the payload, then the payload: a
// torch::serialize archive (the zip format torch::save writes) holding the counters, the
// per-epoch history, the early-stopping bookkeeping, the named model and best weights
// and the optimizer's own archive. The hash makes a truncated or damaged blob an error
// before torch parses it.
//
// Usage (a job writing a checkpoint per epoch and resuming after a crash):
//   callbacks.on_epoch_end = [&](const EpochMetrics&, const TrainState& state) {
//     return artifacts.Put(SerializeTrainState(state));
//   };
//   ...after a restart, with a freshly built model of the same spec:
//   absl::StatusOr<TrainState> state = DeserializeTrainState(bytes, *model);
//   Train(*model, data, config, callbacks, &*state);
//
// Thread-safety: functions are reentrant; a model or optimizer argument must not be in
// use by another thread during the call.
#ifndef AIAAS_TRAINING_TRAINER_CHECKPOINT_H_
#define AIAAS_TRAINING_TRAINER_CHECKPOINT_H_

#include <torch/optim/optimizer.h>

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "training/model/trainable_model.h"
#include "training/trainer/train_state.h"

namespace aiaas::training {

// Detached copies of the model's named parameters, then its named buffers.
std::vector<NamedTensor> SnapshotWeights(const torch::nn::Module& model);

// Copies `weights` into the model's parameters and buffers in place (the tensors keep
// their identity, so an optimizer over them stays valid). InvalidArgument, with the
// model unchanged, when a name is missing or extra or a shape or dtype differs.
[[nodiscard]] absl::Status LoadWeights(const std::vector<NamedTensor>& weights,
                                       torch::nn::Module& model);

// The optimizer's state (per-parameter buffers such as Adam moments and step counts) as
// bytes, and back into an optimizer over the same parameters in the same order.
// Internal on a serialization failure; DataLoss for unreadable bytes; InvalidArgument
// when the state was saved by a different optimizer or for other parameters.
[[nodiscard]] absl::StatusOr<std::string> SaveOptimizerState(
    const torch::optim::Optimizer& optimizer);
[[nodiscard]] absl::Status LoadOptimizerState(std::string_view bytes,
                                              torch::optim::Optimizer& optimizer);

// The checkpoint bytes of `state`. Internal only if torch fails to write (out of memory).
[[nodiscard]] absl::StatusOr<std::string> SerializeTrainState(const TrainState& state);

// Reads a checkpoint and loads its current weights into `model` (which must be built
// from the same model spec). The optimizer state stays inside the result as bytes:
// Train() applies it to the optimizer it builds when given the state as resume_from.
// DataLoss for a corrupt, truncated or foreign blob; FailedPrecondition for a newer
// format version; InvalidArgument when the weights do not fit `model` (the model is then
// unchanged). Never crashes on bad bytes.
[[nodiscard]] absl::StatusOr<TrainState> DeserializeTrainState(std::string_view bytes,
                                                               TrainableModel& model);

}  // namespace aiaas::training

#endif  // AIAAS_TRAINING_TRAINER_CHECKPOINT_H_
