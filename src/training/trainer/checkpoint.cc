#include "training/trainer/checkpoint.h"

#include <ATen/ATen.h>
#include <c10/util/Exception.h>
#include <torch/optim/adagrad.h>
#include <torch/optim/adam.h>
#include <torch/optim/adamw.h>
#include <torch/optim/rmsprop.h>
#include <torch/optim/sgd.h>
#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>

#include <cmath>
#include <cstring>
#include <map>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"

namespace aiaas::training {
namespace {

constexpr char kMagic[8] = {'A', 'I', 'A', 'A', 'S', 'T', 'S', '\0'};
constexpr uint32_t kFormatVersion = 1;
constexpr size_t kHeaderSize = sizeof(kMagic) + 4 + 8 + 8;
constexpr int64_t kHistoryColumns = 6;  // epoch, train_loss, val_loss, val_accuracy, lr, seconds

uint64_t Fnv1a64(std::string_view bytes) {
  uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : bytes) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return hash;
}

void PutLittleEndian(std::string& out, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

uint64_t GetLittleEndian(std::string_view in, size_t offset, int bytes) {
  uint64_t value = 0;
  for (int i = 0; i < bytes; ++i) {
    value |= static_cast<uint64_t>(static_cast<unsigned char>(in[offset + i])) << (8 * i);
  }
  return value;
}

std::string Shape(const at::Tensor& t) {
  return absl::StrCat("[", absl::StrJoin(t.sizes().vec(), ", "), "]");
}

at::Tensor BytesToTensor(std::string_view bytes) {
  at::Tensor t = at::empty({static_cast<int64_t>(bytes.size())}, at::kByte);
  if (!bytes.empty()) std::memcpy(t.data_ptr(), bytes.data(), bytes.size());
  return t;
}

// Named parameters then buffers of `model`, skipping undefined ones.
std::vector<std::pair<std::string, at::Tensor>> ModelTensors(const torch::nn::Module& model) {
  std::vector<std::pair<std::string, at::Tensor>> out;
  for (const auto& item : model.named_parameters(/*recurse=*/true)) {
    if (item.value().defined()) out.emplace_back(item.key(), item.value());
  }
  for (const auto& item : model.named_buffers(/*recurse=*/true)) {
    if (item.value().defined()) out.emplace_back(item.key(), item.value());
  }
  return out;
}

absl::Status CheckWeightsFit(const std::vector<NamedTensor>& weights,
                             const torch::nn::Module& model, absl::string_view what) {
  std::map<std::string_view, const at::Tensor*> by_name;
  for (const NamedTensor& w : weights) by_name[w.name] = &w.value;
  auto tensors = ModelTensors(model);
  for (const auto& [name, tensor] : tensors) {
    auto it = by_name.find(name);
    if (it == by_name.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, " do not fit the model: ", name, " is missing"));
    }
    const at::Tensor& saved = *it->second;
    if (!saved.defined() || !saved.sizes().equals(tensor.sizes()) ||
        saved.scalar_type() != tensor.scalar_type()) {
      return absl::InvalidArgumentError(absl::StrCat(what, " do not fit the model: ", name, " is ",
                                                     saved.defined() ? Shape(saved) : "undefined",
                                                     " but the model has ", Shape(tensor)));
    }
  }
  if (by_name.size() != tensors.size() || weights.size() != tensors.size()) {
    return absl::InvalidArgumentError(absl::StrCat(what, " do not fit the model: ", weights.size(),
                                                   " tensors for a model with ", tensors.size()));
  }
  return absl::OkStatus();
}

const char* OptimizerName(const torch::optim::Optimizer& optimizer) {
  if (dynamic_cast<const torch::optim::SGD*>(&optimizer)) return "sgd";
  if (dynamic_cast<const torch::optim::Adagrad*>(&optimizer)) return "adagrad";
  if (dynamic_cast<const torch::optim::RMSprop*>(&optimizer)) return "rmsprop";
  if (dynamic_cast<const torch::optim::AdamW*>(&optimizer)) return "adamw";
  if (dynamic_cast<const torch::optim::Adam*>(&optimizer)) return "adam";
  return "other";
}

std::string ArchiveBytes(torch::serialize::OutputArchive& archive) {
  std::string bytes;
  archive.save_to([&bytes](const void* data, size_t size) -> size_t {
    bytes.append(static_cast<const char*>(data), size);
    return size;
  });
  return bytes;
}

void WriteWeights(torch::serialize::OutputArchive& archive, const std::string& prefix,
                  const std::vector<NamedTensor>& weights) {
  archive.write(prefix + "/size", c10::IValue(static_cast<int64_t>(weights.size())));
  for (size_t i = 0; i < weights.size(); ++i) {
    archive.write(absl::StrCat(prefix, "/name/", i), c10::IValue(weights[i].name));
    archive.write(absl::StrCat(prefix, "/value/", i), weights[i].value.detach().contiguous(),
                  /*is_buffer=*/true);
  }
}

int64_t ReadInt(torch::serialize::InputArchive& archive, const std::string& key) {
  c10::IValue value;
  archive.read(key, value);
  return value.toInt();
}

double ReadDouble(torch::serialize::InputArchive& archive, const std::string& key) {
  c10::IValue value;
  archive.read(key, value);
  return value.toDouble();
}

std::vector<NamedTensor> ReadWeights(torch::serialize::InputArchive& archive,
                                     const std::string& prefix) {
  const int64_t size = ReadInt(archive, prefix + "/size");
  TORCH_CHECK(size >= 0 && size < (int64_t{1} << 24), "bad tensor count");
  std::vector<NamedTensor> weights(static_cast<size_t>(size));
  for (int64_t i = 0; i < size; ++i) {
    c10::IValue name;
    archive.read(absl::StrCat(prefix, "/name/", i), name);
    weights[i].name = name.toStringRef();
    archive.read(absl::StrCat(prefix, "/value/", i), weights[i].value, /*is_buffer=*/true);
    weights[i].value = weights[i].value.detach();
  }
  return weights;
}

// Everything but the model check; throws c10::Error on a malformed archive.
TrainState ReadState(std::string_view payload) {
  torch::serialize::InputArchive archive;
  archive.load_from(payload.data(), payload.size());
  TrainState state;
  state.epochs_completed = ReadInt(archive, "epochs_completed");
  state.global_step = ReadInt(archive, "global_step");
  TORCH_CHECK(state.epochs_completed >= 0 && state.global_step >= 0, "negative counters");
  state.early_stopping.best_metric = ReadDouble(archive, "early_stopping/best_metric");
  state.early_stopping.best_epoch = ReadInt(archive, "early_stopping/best_epoch");
  state.early_stopping.bad_epochs = ReadInt(archive, "early_stopping/bad_epochs");
  state.early_stopping.stopped = ReadInt(archive, "early_stopping/stopped") != 0;

  at::Tensor optimizer;
  archive.read("optimizer", optimizer, /*is_buffer=*/true);
  TORCH_CHECK(optimizer.scalar_type() == at::kByte && optimizer.dim() == 1, "bad optimizer state");
  optimizer = optimizer.contiguous();
  state.optimizer_state.assign(static_cast<const char*>(optimizer.data_ptr()), optimizer.numel());

  at::Tensor history;
  archive.read("history", history, /*is_buffer=*/true);
  TORCH_CHECK(history.scalar_type() == at::kDouble && history.dim() == 2 &&
                  history.size(1) == kHistoryColumns && history.size(0) == state.epochs_completed,
              "bad history");
  auto rows = history.accessor<double, 2>();
  for (int64_t i = 0; i < history.size(0); ++i) {
    EpochMetrics m;
    m.epoch = static_cast<int64_t>(rows[i][0]);
    m.train_loss = rows[i][1];
    if (!std::isnan(rows[i][2])) m.val_loss = rows[i][2];
    if (!std::isnan(rows[i][3])) m.val_accuracy = rows[i][3];
    m.lr = rows[i][4];
    m.seconds = rows[i][5];
    state.history.push_back(m);
  }
  state.model_weights = ReadWeights(archive, "model");
  state.best_weights = ReadWeights(archive, "best");
  return state;
}

}  // namespace

std::vector<NamedTensor> SnapshotWeights(const torch::nn::Module& model) {
  std::vector<NamedTensor> out;
  for (auto& [name, tensor] : ModelTensors(model)) out.push_back({name, tensor.detach().clone()});
  return out;
}

absl::Status LoadWeights(const std::vector<NamedTensor>& weights, torch::nn::Module& model) {
  AIAAS_RETURN_IF_ERROR(CheckWeightsFit(weights, model, "weights"));
  std::map<std::string_view, const at::Tensor*> by_name;
  for (const NamedTensor& w : weights) by_name[w.name] = &w.value;
  at::NoGradGuard no_grad;
  for (auto& [name, tensor] : ModelTensors(model)) tensor.copy_(*by_name[name]);
  return absl::OkStatus();
}

absl::StatusOr<std::string> SaveOptimizerState(const torch::optim::Optimizer& optimizer) {
  try {
    torch::serialize::OutputArchive archive;
    archive.write("kind", c10::IValue(std::string(OptimizerName(optimizer))));
    torch::serialize::OutputArchive state(archive.compilation_unit());
    optimizer.save(state);
    archive.write("state", state);
    return ArchiveBytes(archive);
  } catch (const c10::Error& e) {
    return absl::InternalError(
        absl::StrCat("saving the optimizer state: ", e.what_without_backtrace()));
  }
}

absl::Status LoadOptimizerState(std::string_view bytes, torch::optim::Optimizer& optimizer) {
  std::string kind;
  torch::serialize::InputArchive state;
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(bytes.data(), bytes.size());
    c10::IValue value;
    archive.read("kind", value);
    kind = value.toStringRef();
    archive.read("state", state);
  } catch (const c10::Error& e) {
    return absl::DataLossError(
        absl::StrCat("unreadable optimizer state: ", e.what_without_backtrace()));
  }
  if (kind != OptimizerName(optimizer)) {
    return absl::InvalidArgumentError(absl::StrCat("the optimizer state was saved by ", kind,
                                                   ", not ", OptimizerName(optimizer)));
  }
  try {
    optimizer.load(state);
  } catch (const c10::Error& e) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the optimizer state does not fit this optimizer: ", e.what_without_backtrace()));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> SerializeTrainState(const TrainState& state) {
  std::string payload;
  try {
    torch::serialize::OutputArchive archive;
    archive.write("epochs_completed", c10::IValue(state.epochs_completed));
    archive.write("global_step", c10::IValue(state.global_step));
    archive.write("early_stopping/best_metric", c10::IValue(state.early_stopping.best_metric));
    archive.write("early_stopping/best_epoch", c10::IValue(state.early_stopping.best_epoch));
    archive.write("early_stopping/bad_epochs", c10::IValue(state.early_stopping.bad_epochs));
    archive.write("early_stopping/stopped",
                  c10::IValue(int64_t{state.early_stopping.stopped ? 1 : 0}));
    archive.write("optimizer", BytesToTensor(state.optimizer_state), /*is_buffer=*/true);
    at::Tensor history =
        at::empty({static_cast<int64_t>(state.history.size()), kHistoryColumns}, at::kDouble);
    auto rows = history.accessor<double, 2>();
    const double nan = std::nan("");
    for (size_t i = 0; i < state.history.size(); ++i) {
      const EpochMetrics& m = state.history[i];
      const double row[kHistoryColumns] = {
          static_cast<double>(m.epoch), m.train_loss, m.val_loss.value_or(nan),
          m.val_accuracy.value_or(nan), m.lr,         m.seconds};
      for (int64_t c = 0; c < kHistoryColumns; ++c) rows[static_cast<int64_t>(i)][c] = row[c];
    }
    archive.write("history", history, /*is_buffer=*/true);
    WriteWeights(archive, "model", state.model_weights);
    WriteWeights(archive, "best", state.best_weights);
    payload = ArchiveBytes(archive);
  } catch (const c10::Error& e) {
    return absl::InternalError(
        absl::StrCat("writing the checkpoint: ", e.what_without_backtrace()));
  }
  std::string out(kMagic, sizeof(kMagic));
  PutLittleEndian(out, kFormatVersion, 4);
  PutLittleEndian(out, payload.size(), 8);
  PutLittleEndian(out, Fnv1a64(payload), 8);
  out += payload;
  return out;
}

absl::StatusOr<TrainState> DeserializeTrainState(std::string_view bytes, TrainableModel& model) {
  if (bytes.size() < kHeaderSize || std::memcmp(bytes.data(), kMagic, sizeof(kMagic)) != 0) {
    return absl::DataLossError("not a training checkpoint (bad magic or too short)");
  }
  const uint64_t version = GetLittleEndian(bytes, 8, 4);
  if (version > kFormatVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        "checkpoint format ", version, " is newer than this server's ", kFormatVersion));
  }
  const uint64_t length = GetLittleEndian(bytes, 12, 8);
  const uint64_t hash = GetLittleEndian(bytes, 20, 8);
  std::string_view payload = bytes.substr(kHeaderSize);
  if (length != payload.size()) {
    return absl::DataLossError(absl::StrCat("checkpoint is truncated or damaged: ", payload.size(),
                                            " payload bytes, header says ", length));
  }
  if (Fnv1a64(payload) != hash)
    return absl::DataLossError("checkpoint is corrupt (checksum mismatch)");
  TrainState state;
  try {
    state = ReadState(payload);
  } catch (const c10::Error& e) {
    return absl::DataLossError(
        absl::StrCat("checkpoint is unreadable: ", e.what_without_backtrace()));
  } catch (const std::exception& e) {
    return absl::DataLossError(absl::StrCat("checkpoint is unreadable: ", e.what()));
  }
  if (!state.best_weights.empty()) {
    AIAAS_RETURN_IF_ERROR(CheckWeightsFit(state.best_weights, model, "checkpoint best weights"));
  }
  AIAAS_RETURN_IF_ERROR(CheckWeightsFit(state.model_weights, model, "checkpoint weights"));
  AIAAS_RETURN_IF_ERROR(LoadWeights(state.model_weights, model));
  return state;
}

}  // namespace aiaas::training
