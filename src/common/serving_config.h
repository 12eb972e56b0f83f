#ifndef AIAAS_COMMON_SERVING_CONFIG_H_
#define AIAAS_COMMON_SERVING_CONFIG_H_

#include <cstdint>
#include <vector>

namespace aiaas {

// How one model version is scheduled when served. Set at push time (the
// `config` form part) or later (PUT .../versions/{v}/config); stored with the
// version. Defaults are what a version gets when nothing was said.
struct ServingConfig {
  // Largest number of rows (first dimension) one execution may take.
  // 0 = the model does not batch: every request runs alone, as sent.
  int max_batch_size = 0;
  // How long the oldest queued request may wait for others to join its batch.
  int64_t max_queue_delay_us = 500;
  // Batch sizes the scheduler prefers to dispatch at (each <= max_batch_size).
  std::vector<int> preferred_batch_sizes;
  // Parallel executions of one loaded model (threads running forward passes).
  int instance_count = 1;
  // Requests allowed to wait in the queue; one more is answered 503.
  int max_queue_size = 1024;
  // Deadline of a request that names none; clients may shorten it, never extend it.
  int64_t default_timeout_ms = 30000;
  // Run one inference made from the signature at load, before the version is ready.
  bool warmup = true;
  // Keep this version loaded: never evicted by the memory budget.
  bool pinned = false;
};

}  // namespace aiaas

#endif  // AIAAS_COMMON_SERVING_CONFIG_H_
