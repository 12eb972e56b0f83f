// A model's weights as bytes, and its tensors by name. With the spec and BuildOptions
// kept in the job record, BuildModel + LoadWeights recreates a trained model exactly.
//
// Format: a torch::serialize archive (TorchScript zip) holding "format"
// ("aiaas.weights.v1"), "names" (the state names, newline-separated) and tensors
// "t0", "t1", ... in that order. Tensors are stored by position, not by name, so no
// name ever becomes an archive key.
#ifndef AIAAS_TRAINING_MODEL_WEIGHTS_IO_H_
#define AIAAS_TRAINING_MODEL_WEIGHTS_IO_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "training/model/trainable_model.h"

namespace aiaas::training {

using NamedParameter = std::pair<std::string, at::Tensor>;

// Trainable parameters as (dotted name, tensor), e.g. ("layers.0.linear.weight", ...),
// in registration order: stable for a given spec and options (for safetensors/ONNX
// export). The tensors alias the model's; do not resize them.
std::vector<NamedParameter> NamedParameters(const TrainableModel& model);

// Parameters followed by buffers (batchnorm running statistics): everything
// SaveWeights writes, in the same order.
std::vector<NamedParameter> NamedState(const TrainableModel& model);

// Serializes NamedState. Internal if LibTorch fails to write (a bug).
[[nodiscard]] absl::StatusOr<std::string> SaveWeights(const TrainableModel& model);

// Copies the weights in `bytes` into `model`, all or nothing. InvalidArgument when
// the bytes are not a weights archive, or its names, shapes or dtypes differ from the
// model's (naming the first difference); the model is then unchanged. Not safe to
// call while another thread runs Forward on the model.
[[nodiscard]] absl::Status LoadWeights(TrainableModel& model, absl::string_view bytes);

}  // namespace aiaas::training

#endif  // AIAAS_TRAINING_MODEL_WEIGHTS_IO_H_
