// Learning-rate schedules as pure functions of the optimizer step. The trainer sets every
// parameter group's lr to LearningRateAt(...) before each step, so a resumed run needs
// only the global step to continue the schedule exactly. Torch-free.
#ifndef AIAAS_TRAINING_TRAINER_LR_SCHEDULE_H_
#define AIAAS_TRAINING_TRAINER_LR_SCHEDULE_H_

#include <cstdint>

#include "training/trainer/optimization_spec.h"

namespace aiaas::training {

// The learning rate for optimizer step `step` (0-based over the whole run) of a run of
// `total_steps` steps (epochs x steps per epoch), starting from `base_lr`:
//   constant: base_lr
//   step:     base_lr * gamma^floor(step / step_size)
//   cosine:   min_lr + (base_lr - min_lr) * (1 + cos(pi * step / total_steps)) / 2
//             (PyTorch's CosineAnnealingLR with T_max = total_steps; clamped at the end)
//   warmup:   base_lr * (step + 1) / warmup_steps for step < warmup_steps, then the
//             `then` schedule evaluated at (step - warmup_steps) over
//             (total_steps - warmup_steps) steps.
// Pure; any thread.
double LearningRateAt(const LrScheduleSpec& schedule, double base_lr, int64_t step,
                      int64_t total_steps);

}  // namespace aiaas::training

#endif  // AIAAS_TRAINING_TRAINER_LR_SCHEDULE_H_
