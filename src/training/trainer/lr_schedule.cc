#include "training/trainer/lr_schedule.h"

#include <algorithm>
#include <cmath>

namespace aiaas::training {
namespace {

constexpr double kPi = 3.14159265358979323846;

double PlainRate(ScheduleKind kind, const LrScheduleSpec& s, double base_lr, int64_t step,
                 int64_t total_steps) {
  switch (kind) {
    case ScheduleKind::kStep: {
      const int64_t decays = step / std::max<int64_t>(s.step_size, 1);  // floor: whole periods
      return base_lr * std::pow(s.gamma, static_cast<double>(decays));
    }
    case ScheduleKind::kCosine: {
      if (total_steps <= 0) return base_lr;
      const double progress =
          std::min(1.0, static_cast<double>(step) / static_cast<double>(total_steps));
      return s.min_lr + (base_lr - s.min_lr) * (1.0 + std::cos(kPi * progress)) / 2.0;
    }
    case ScheduleKind::kConstant:
    case ScheduleKind::kWarmup:  // not a valid `then`; the parser never produces it
      return base_lr;
  }
  return base_lr;
}

}  // namespace

double LearningRateAt(const LrScheduleSpec& schedule, double base_lr, int64_t step,
                      int64_t total_steps) {
  step = std::max<int64_t>(step, 0);
  if (schedule.kind != ScheduleKind::kWarmup) {
    return PlainRate(schedule.kind, schedule, base_lr, step, total_steps);
  }
  const int64_t warmup = std::max<int64_t>(schedule.warmup_steps, 1);
  if (step < warmup) return base_lr * static_cast<double>(step + 1) / static_cast<double>(warmup);
  return PlainRate(schedule.then, schedule, base_lr, step - warmup, total_steps - warmup);
}

}  // namespace aiaas::training
