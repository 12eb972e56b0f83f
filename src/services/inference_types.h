#ifndef AIAAS_SERVICES_INFERENCE_TYPES_H_
#define AIAAS_SERVICES_INFERENCE_TYPES_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "common/tensor.h"

namespace aiaas {

// A KServe v2 "parameters" value.
using ParameterValue = std::variant<bool, int64_t, double, std::string>;
using Parameters = std::map<std::string, ParameterValue>;

// One inference request, independent of the wire protocol that carried it.
struct InferRequest {
  std::string id;                           // echoed in the response; may be empty
  std::string model;                        // model name, as addressed
  std::string version;                      // "" = default (production alias, else newest)
  Parameters parameters;
  TensorMap inputs;
  std::vector<std::string> requested_outputs;  // empty = every output
};

// One inference response. `outputs` keeps the model's output order.
struct InferResponse {
  std::string id;
  std::string model;
  std::string version;
  Parameters parameters;
  std::vector<std::pair<std::string, Tensor>> outputs;
};

}  // namespace aiaas

#endif  // AIAAS_SERVICES_INFERENCE_TYPES_H_
