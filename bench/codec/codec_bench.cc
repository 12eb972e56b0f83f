// Micro-benchmarks of the KServe v2 inference codec: decoding a request and
// encoding a response for an MNIST-sized input (784 FP32 values) and an
// ImageNet-sized one (1x3x224x224 = 150528 FP32 values), as JSON and with the
// binary tensor extension. Run: ninja -C <build> codec_bench && <build>/bench/codec/codec_bench
#include <benchmark/benchmark.h>

#include <charconv>
#include <cstring>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "server/kserve_binary_codec.h"
#include "server/kserve_json_codec.h"

namespace aiaas::server {
namespace {

constexpr int64_t kMnistValues = 784;
constexpr int64_t kImageNetValues = 3 * 224 * 224;

std::vector<int64_t> ShapeFor(int64_t values) {
  return values == kImageNetValues ? std::vector<int64_t>{1, 3, 224, 224}
                                   : std::vector<int64_t>{1, values};
}

std::string ShapeJson(const std::vector<int64_t>& shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) out += ',';
    out += std::to_string(shape[i]);
  }
  return out + "]";
}

// Normalized pixel-like values in [0, 1), as a client would send them.
std::vector<float> RandomValues(int64_t count) {
  std::mt19937 rng(42);
  std::uniform_real_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> values(static_cast<size_t>(count));
  for (float& value : values) value = dist(rng);
  return values;
}

Tensor Fp32Tensor(int64_t count) {
  const std::vector<float> values = RandomValues(count);
  Tensor tensor;
  tensor.dtype = DataType::kFp32;
  tensor.shape = ShapeFor(count);
  tensor.data.resize(values.size() * sizeof(float));
  std::memcpy(tensor.data.data(), values.data(), tensor.data.size());
  return tensor;
}

std::string JsonRequest(int64_t count) {
  std::string body = R"({"id":"bench","inputs":[{"name":"x","datatype":"FP32","shape":)";
  body += ShapeJson(ShapeFor(count));
  body += R"(,"data":[)";
  const std::vector<float> values = RandomValues(count);
  char buf[32];
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) body += ',';
    body.append(buf, std::to_chars(buf, buf + sizeof(buf), values[i]).ptr);
  }
  body += "]}]}";
  return body;
}

// The binary request and the length of its JSON header.
std::pair<std::string, size_t> BinaryRequest(int64_t count) {
  std::string body = R"({"id":"bench","inputs":[{"name":"x","datatype":"FP32","shape":)";
  body += ShapeJson(ShapeFor(count));
  body += R"(,"parameters":{"binary_data_size":)";
  body += std::to_string(count * sizeof(float));
  body += R"(}}],"outputs":[{"name":"y","parameters":{"binary_data":true}}]})";
  const size_t header_length = body.size();
  const Tensor tensor = Fp32Tensor(count);
  body.append(reinterpret_cast<const char*>(tensor.data.data()), tensor.data.size());
  return {std::move(body), header_length};
}

Signature XSignature() {
  Signature signature;
  signature.inputs.push_back({"x", DataType::kFp32, std::nullopt});
  signature.outputs.push_back({"y", DataType::kFp32, std::nullopt});
  return signature;
}

InferResponse Response(Tensor output) {
  InferResponse response;
  response.id = "bench";
  response.model = "model";
  response.version = "1";
  response.outputs.emplace_back("y", std::move(output));
  return response;
}

void BM_DecodeJson(benchmark::State& state) {
  const std::string body = JsonRequest(state.range(0));
  const Signature signature = XSignature();
  for (auto _ : state) {
    auto request = DecodeInferRequest(body, signature, CodecLimits{});
    if (!request.ok()) state.SkipWithError(std::string(request.status().message()).c_str());
    benchmark::DoNotOptimize(request);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
}

void BM_EncodeJson(benchmark::State& state) {
  const InferResponse response = Response(Fp32Tensor(state.range(0)));
  size_t size = 0;
  for (auto _ : state) {
    std::string body = EncodeInferResponse(response);
    size = body.size();
    benchmark::DoNotOptimize(body);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * size));
}

// Decode a request, then encode its input back as the response (an echo model).
void BM_RoundTripJson(benchmark::State& state) {
  const std::string body = JsonRequest(state.range(0));
  const Signature signature = XSignature();
  for (auto _ : state) {
    auto request = DecodeInferRequest(body, signature, CodecLimits{});
    if (!request.ok()) state.SkipWithError(std::string(request.status().message()).c_str());
    std::string out = EncodeInferResponse(Response(std::move(request->inputs.at("x"))));
    benchmark::DoNotOptimize(out);
  }
}

void BM_DecodeBinary(benchmark::State& state) {
  const auto [body, header_length] = BinaryRequest(state.range(0));
  const Signature signature = XSignature();
  for (auto _ : state) {
    auto request = DecodeInferRequest(body, header_length, signature, CodecLimits{});
    if (!request.ok()) state.SkipWithError(std::string(request.status().message()).c_str());
    benchmark::DoNotOptimize(request);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
}

void BM_EncodeBinary(benchmark::State& state) {
  const InferResponse response = Response(Fp32Tensor(state.range(0)));
  OutputEncoding encoding;
  encoding.binary_by_default = true;
  size_t size = 0;
  for (auto _ : state) {
    EncodedResponse encoded = EncodeInferResponse(response, encoding);
    size = encoded.body.size();
    benchmark::DoNotOptimize(encoded);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * size));
}

void BM_RoundTripBinary(benchmark::State& state) {
  const auto [body, header_length] = BinaryRequest(state.range(0));
  const Signature signature = XSignature();
  for (auto _ : state) {
    auto decoded = DecodeInferRequest(body, header_length, signature, CodecLimits{});
    if (!decoded.ok()) state.SkipWithError(std::string(decoded.status().message()).c_str());
    EncodedResponse out = EncodeInferResponse(Response(std::move(decoded->request.inputs.at("x"))),
                                              decoded->output_encoding);
    benchmark::DoNotOptimize(out);
  }
}

BENCHMARK(BM_DecodeJson)->Arg(kMnistValues)->Arg(kImageNetValues);
BENCHMARK(BM_EncodeJson)->Arg(kMnistValues)->Arg(kImageNetValues);
BENCHMARK(BM_RoundTripJson)->Arg(kMnistValues)->Arg(kImageNetValues);
BENCHMARK(BM_DecodeBinary)->Arg(kMnistValues)->Arg(kImageNetValues);
BENCHMARK(BM_EncodeBinary)->Arg(kMnistValues)->Arg(kImageNetValues);
BENCHMARK(BM_RoundTripBinary)->Arg(kMnistValues)->Arg(kImageNetValues);

}  // namespace
}  // namespace aiaas::server

BENCHMARK_MAIN();
