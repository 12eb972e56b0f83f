#ifndef AIAAS_COMMON_SIGNATURE_CHECK_H_
#define AIAAS_COMMON_SIGNATURE_CHECK_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/tensor.h"

namespace aiaas {

// Checks one request input's declared metadata (before its data is decoded)
// against a signature: the name must be a declared input, and the datatype,
// rank and fixed dims must match where the signature fixes them.
// Returns InvalidArgument with a message naming the input and what was expected.
// An empty signature.inputs list accepts any name.
[[nodiscard]] absl::Status CheckInputAgainstSignature(const Signature& signature,
                                                      const std::string& name, DataType dtype,
                                                      const std::vector<int64_t>& shape);

// Checks that every input the signature declares was given (call after all
// inputs were checked one by one). InvalidArgument naming the missing ones.
[[nodiscard]] absl::Status CheckAllInputsPresent(const Signature& signature,
                                                 const std::vector<std::string>& given_names);

}  // namespace aiaas

#endif  // AIAAS_COMMON_SIGNATURE_CHECK_H_
