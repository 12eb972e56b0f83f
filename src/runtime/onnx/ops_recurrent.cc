// RNN, GRU and LSTM, written as explicit time-step recurrences on ATen ops because the
// ONNX gate orders (LSTM: i o f c, GRU: z r h), activation lists, peepholes, clip and
// per-batch sequence_lens do not map onto PyTorch's fused modules. The common LSTM (what
// torch.onnx.export writes: none of those features) runs as one at::lstm call with its
// gates reordered.
//
// Shapes (layout 0): X [seq, batch, input], W [dirs, gates*hidden, input],
// R [dirs, gates*hidden, hidden], B [dirs, 2*gates*hidden], initial_h/_c
// [dirs, batch, hidden]; outputs Y [seq, dirs, batch, hidden], Y_h/Y_c
// [dirs, batch, hidden]. Layout 1 (opset 14) puts batch first: X [batch, seq, input],
// Y [batch, seq, dirs, hidden], Y_h [batch, dirs, hidden].
//
// sequence_lens: steps at or past a batch entry's length leave its state unchanged and
// write zeros into Y. Running the reverse direction from the last step down with the
// same mask starts each entry at its own last valid step.

#include <ATen/ATen.h>

#include <cctype>
#include <string>
#include <tuple>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "runtime/onnx/op_registry.h"
#include "runtime/onnx/op_util.h"

namespace aiaas::runtime::onnxrt {
namespace {

using Outputs = absl::StatusOr<std::vector<at::Tensor>>;

enum class Cell { kRnn, kGru, kLstm };

// One activation function of the activations attribute with its alpha/beta.
struct Activation {
  std::string name;
  float alpha = 0;
  float beta = 0;
};

// ONNX default alpha/beta of the activations that take them; -1 marks "none".
void DefaultParameters(const std::string& name, float* alpha, float* beta, bool* takes_alpha,
                       bool* takes_beta) {
  *takes_alpha = *takes_beta = false;
  if (name == "LeakyRelu") { *alpha = 0.01f; *takes_alpha = true; }
  if (name == "ThresholdedRelu") { *alpha = 1.0f; *takes_alpha = true; }
  if (name == "Elu") { *alpha = 1.0f; *takes_alpha = true; }
  if (name == "HardSigmoid") { *alpha = 0.2f; *beta = 0.5f; *takes_alpha = *takes_beta = true; }
  if (name == "Affine") { *alpha = 1.0f; *beta = 0.0f; *takes_alpha = *takes_beta = true; }
  if (name == "ScaledTanh") { *alpha = 1.0f; *beta = 1.0f; *takes_alpha = *takes_beta = true; }
}

absl::StatusOr<at::Tensor> Apply(const Activation& f, const at::Tensor& x) {
  const std::string& n = f.name;
  if (n == "Sigmoid") return at::sigmoid(x);
  if (n == "Tanh") return at::tanh(x);
  if (n == "Relu") return at::relu(x);
  if (n == "LeakyRelu") return at::leaky_relu(x, f.alpha);
  if (n == "ThresholdedRelu") return at::where(x > f.alpha, x, at::zeros_like(x));
  if (n == "Elu") return at::where(x >= 0, x, f.alpha * (at::exp(x) - 1));
  if (n == "HardSigmoid") return at::clamp(x * f.alpha + f.beta, 0, 1);
  if (n == "Affine") return x * f.alpha + f.beta;
  if (n == "ScaledTanh") return at::tanh(x * f.beta) * f.alpha;
  if (n == "Softsign") return x / (at::abs(x) + 1);
  if (n == "Softplus") return at::log1p(at::exp(x));
  return absl::InvalidArgumentError(absl::StrCat("unsupported activation function ", n));
}

// The activations attribute (case-insensitive names in some exporters), padded with the
// cell's defaults; alpha/beta are consumed in order by the functions that take them, or
// one per function when the lists are as long as the activations.
absl::StatusOr<std::vector<Activation>> ReadActivations(const KernelContext& context,
                                                        Cell cell, int64_t directions) {
  std::vector<std::string> defaults;
  if (cell == Cell::kRnn) defaults = {"Tanh"};
  if (cell == Cell::kGru) defaults = {"Sigmoid", "Tanh"};
  if (cell == Cell::kLstm) defaults = {"Sigmoid", "Tanh", "Tanh"};
  const size_t per_direction = defaults.size();
  std::vector<std::string> names =
      context.attributes().FindStrings("activations").value_or(std::vector<std::string>{});
  if (names.empty()) {
    for (int64_t d = 0; d < directions; ++d) names.insert(names.end(), defaults.begin(), defaults.end());
  }
  if (names.size() != per_direction * static_cast<size_t>(directions)) {
    return absl::InvalidArgumentError(absl::StrCat("activations lists ", names.size(),
                                                   " functions, expected ",
                                                   per_direction * directions));
  }
  const std::vector<float> alphas = context.attributes().GetFloats("activation_alpha");
  const std::vector<float> betas = context.attributes().GetFloats("activation_beta");
  std::vector<Activation> result;
  size_t next_alpha = 0;
  size_t next_beta = 0;
  for (size_t i = 0; i < names.size(); ++i) {
    Activation f;
    f.name = names[i];
    // Exporters differ in case ("tanh", "Tanh"): match the known names case-insensitively.
    for (const char* known : {"Sigmoid", "Tanh", "Relu", "LeakyRelu", "ThresholdedRelu", "Elu",
                              "HardSigmoid", "Affine", "ScaledTanh", "Softsign", "Softplus"}) {
      std::string a = f.name, b = known;
      for (char& c : a) c = static_cast<char>(std::tolower(c));
      for (char& c : b) c = static_cast<char>(std::tolower(c));
      if (a == b) f.name = known;
    }
    bool takes_alpha = false, takes_beta = false;
    DefaultParameters(f.name, &f.alpha, &f.beta, &takes_alpha, &takes_beta);
    if (alphas.size() == names.size()) {
      if (takes_alpha) f.alpha = alphas[i];
    } else if (takes_alpha && next_alpha < alphas.size()) {
      f.alpha = alphas[next_alpha++];
    }
    if (betas.size() == names.size()) {
      if (takes_beta) f.beta = betas[i];
    } else if (takes_beta && next_beta < betas.size()) {
      f.beta = betas[next_beta++];
    }
    result.push_back(f);
  }
  return result;
}

struct Problem {
  Cell cell;
  int64_t gates;
  int64_t hidden;
  int64_t directions;
  bool layout_batch_first;
  double clip;  // <= 0: none
  bool linear_before_reset;
  bool input_forget;
};

absl::StatusOr<at::Tensor> ClipAndApply(const Problem& p, const Activation& f, at::Tensor x) {
  if (p.clip > 0) x = at::clamp(x, -p.clip, p.clip);
  return Apply(f, x);
}

// Runs one direction. x: [seq, batch, input]; w: [gates*H, input]; r: [gates*H, H];
// b: [2*gates*H]; h0/c0: [batch, H]; peep: [3H] or undefined; mask: [seq, batch, 1] bool
// or undefined. Returns Y [seq, batch, H], final h, final c.
absl::StatusOr<std::vector<at::Tensor>> RunDirection(const Problem& p,
                                                     const Activation* f,
                                                     const at::Tensor& x, const at::Tensor& w,
                                                     const at::Tensor& r, const at::Tensor& b,
                                                     at::Tensor h, at::Tensor c,
                                                     const at::Tensor& peep,
                                                     const at::Tensor& mask, bool reverse) {
  const int64_t seq = x.size(0);
  const int64_t H = p.hidden;
  // Input projections of all steps at once: [seq, batch, gates*H].
  at::Tensor wb = b.slice(0, 0, p.gates * H);
  at::Tensor rb = b.slice(0, p.gates * H, 2 * p.gates * H);
  at::Tensor xw = at::matmul(x, w.t()) + wb;
  std::vector<at::Tensor> ys(seq);
  at::Tensor rt = r.t();
  for (int64_t step = 0; step < seq; ++step) {
    const int64_t t = reverse ? seq - 1 - step : step;
    at::Tensor xt = xw[t];
    at::Tensor new_h, new_c;
    if (p.cell == Cell::kRnn) {
      AIAAS_ASSIGN_OR_RETURN(new_h, ClipAndApply(p, f[0], xt + at::matmul(h, rt) + rb));
    } else if (p.cell == Cell::kGru) {
      at::Tensor x_z = xt.slice(1, 0, H), x_r = xt.slice(1, H, 2 * H), x_h = xt.slice(1, 2 * H);
      at::Tensor r_z = r.slice(0, 0, H), r_r = r.slice(0, H, 2 * H), r_h = r.slice(0, 2 * H);
      at::Tensor rb_z = rb.slice(0, 0, H), rb_r = rb.slice(0, H, 2 * H), rb_h = rb.slice(0, 2 * H);
      AIAAS_ASSIGN_OR_RETURN(at::Tensor z, ClipAndApply(p, f[0], x_z + at::matmul(h, r_z.t()) + rb_z));
      AIAAS_ASSIGN_OR_RETURN(at::Tensor rr, ClipAndApply(p, f[0], x_r + at::matmul(h, r_r.t()) + rb_r));
      at::Tensor pre;
      if (p.linear_before_reset) {
        pre = x_h + rr * (at::matmul(h, r_h.t()) + rb_h);
      } else {
        pre = x_h + at::matmul(rr * h, r_h.t()) + rb_h;
      }
      AIAAS_ASSIGN_OR_RETURN(at::Tensor hh, ClipAndApply(p, f[1], pre));
      new_h = (1 - z) * hh + z * h;
    } else {
      at::Tensor g = xt + at::matmul(h, rt) + rb;
      at::Tensor gi = g.slice(1, 0, H), go = g.slice(1, H, 2 * H), gf = g.slice(1, 2 * H, 3 * H),
                 gc = g.slice(1, 3 * H);
      if (peep.defined()) {
        gi = gi + peep.slice(0, 0, H) * c;
        gf = gf + peep.slice(0, 2 * H, 3 * H) * c;
      }
      AIAAS_ASSIGN_OR_RETURN(at::Tensor i, ClipAndApply(p, f[0], gi));
      at::Tensor ff;
      if (p.input_forget) {
        ff = 1 - i;
      } else {
        AIAAS_ASSIGN_OR_RETURN(ff, ClipAndApply(p, f[0], gf));
      }
      AIAAS_ASSIGN_OR_RETURN(at::Tensor cc, ClipAndApply(p, f[1], gc));
      new_c = ff * c + i * cc;
      if (peep.defined()) go = go + peep.slice(0, H, 2 * H) * new_c;
      AIAAS_ASSIGN_OR_RETURN(at::Tensor o, ClipAndApply(p, f[0], go));
      AIAAS_ASSIGN_OR_RETURN(at::Tensor hc, Apply(f[2], new_c));
      new_h = o * hc;
    }
    if (mask.defined()) {
      at::Tensor m = mask[t];
      ys[t] = at::where(m, new_h, at::zeros_like(new_h));
      h = at::where(m, new_h, h);
      if (new_c.defined()) c = at::where(m, new_c, c);
    } else {
      ys[t] = new_h;
      h = new_h;
      if (new_c.defined()) c = new_c;
    }
  }
  at::Tensor y = seq == 0 ? at::zeros({0, h.size(0), H}, h.options()) : at::stack(ys, 0);
  return std::vector<at::Tensor>{y, h, c};
}

// True when the node is what ATen's fused at::lstm computes: default activations, no
// clip, input_forget, peepholes or sequence_lens, forward or bidirectional, float or double.
bool IsPlainLstm(const Problem& p, const std::vector<Activation>& activations,
                 const std::string& direction, const at::Tensor& x, const at::Tensor& w,
                 const at::Tensor& r, const at::Tensor& b, const at::Tensor& mask,
                 const at::Tensor& peep) {
  if (p.cell != Cell::kLstm || p.clip > 0 || p.input_forget || direction == "reverse" ||
      mask.defined() || peep.defined() || x.size(0) == 0) {
    return false;
  }
  const at::ScalarType type = x.scalar_type();
  if ((type != at::kFloat && type != at::kDouble) || w.scalar_type() != type ||
      r.scalar_type() != type || b.scalar_type() != type) {
    return false;
  }
  for (size_t i = 0; i < activations.size(); ++i) {
    if (activations[i].name != (i % 3 == 0 ? "Sigmoid" : "Tanh")) return false;
  }
  return true;
}

// Rows of a [4H, ...] gate block from ONNX's order (i o f c) to PyTorch's (i f c o).
at::Tensor TorchGateOrder(const at::Tensor& t, int64_t H) {
  return at::cat(
      {t.slice(0, 0, H), t.slice(0, 2 * H, 3 * H), t.slice(0, 3 * H), t.slice(0, H, 2 * H)});
}

// The whole recurrence in one at::lstm call (x [seq, batch, input], h0/c0 [dirs, batch, H]):
// a fraction of the tensor operations of the step-by-step form.
std::tuple<at::Tensor, at::Tensor, at::Tensor> TorchLstm(const Problem& p, const at::Tensor& x,
                                                         const at::Tensor& w, const at::Tensor& r,
                                                         const at::Tensor& b, const at::Tensor& h0,
                                                         const at::Tensor& c0) {
  const int64_t H = p.hidden;
  std::vector<at::Tensor> params;
  for (int64_t d = 0; d < p.directions; ++d) {
    params.push_back(TorchGateOrder(w[d], H));
    params.push_back(TorchGateOrder(r[d], H));
    params.push_back(TorchGateOrder(b[d].slice(0, 0, 4 * H), H));
    params.push_back(TorchGateOrder(b[d].slice(0, 4 * H), H));
  }
  auto [y, h, c] = at::lstm(x, {h0.contiguous(), c0.contiguous()}, params, /*has_biases=*/true,
                            /*num_layers=*/1, /*dropout=*/0.0, /*train=*/false,
                            /*bidirectional=*/p.directions == 2, /*batch_first=*/false);
  // y: [seq, batch, dirs * H] -> [seq, dirs, batch, H]
  y = y.view({x.size(0), x.size(1), p.directions, H}).permute({0, 2, 1, 3});
  return {y, h, c};
}

Outputs Recurrent(const KernelContext& context, Cell cell) {
  const NodeAttributes& attrs = context.attributes();
  Problem p;
  p.cell = cell;
  p.gates = cell == Cell::kRnn ? 1 : cell == Cell::kGru ? 3 : 4;
  const std::string direction = attrs.GetString("direction", "forward");
  if (direction != "forward" && direction != "reverse" && direction != "bidirectional") {
    return absl::InvalidArgumentError(absl::StrCat("unknown direction ", direction));
  }
  p.directions = direction == "bidirectional" ? 2 : 1;
  p.layout_batch_first = attrs.GetInt("layout", 0) == 1;
  p.clip = attrs.Has("clip") ? attrs.GetFloat("clip", 0) : 0;
  p.linear_before_reset = attrs.GetInt("linear_before_reset", 0) != 0;
  p.input_forget = attrs.GetInt("input_forget", 0) != 0;

  at::Tensor x = context.input(0);
  const at::Tensor& w = context.input(1);
  const at::Tensor& r = context.input(2);
  if (x.dim() != 3 || w.dim() != 3 || r.dim() != 3) {
    return absl::InvalidArgumentError("X, W and R must be 3-D");
  }
  if (p.layout_batch_first) x = x.transpose(0, 1);
  const int64_t seq = x.size(0);
  const int64_t batch = x.size(1);
  p.hidden = attrs.GetInt("hidden_size", r.size(2));
  const int64_t H = p.hidden;
  if (w.size(0) != p.directions || r.size(0) != p.directions || w.size(1) != p.gates * H ||
      r.size(1) != p.gates * H || r.size(2) != H || w.size(2) != x.size(2)) {
    return absl::InvalidArgumentError("W or R does not match direction, hidden_size or X");
  }
  AIAAS_ASSIGN_OR_RETURN(std::vector<Activation> activations,
                         ReadActivations(context, cell, p.directions));
  const size_t per_direction = activations.size() / p.directions;

  at::Tensor b = context.has_input(3) ? context.input(3)
                                      : at::zeros({p.directions, 2 * p.gates * H}, x.options());
  at::Tensor mask;
  if (context.has_input(4)) {
    at::Tensor lens = context.input(4).to(at::kLong);
    if (lens.dim() != 1 || lens.size(0) != batch) {
      return absl::InvalidArgumentError("sequence_lens must have shape [batch_size]");
    }
    at::Tensor steps = at::arange(seq, lens.options()).unsqueeze(1);  // [seq, 1]
    mask = (steps < lens.unsqueeze(0)).unsqueeze(2);                  // [seq, batch, 1]
  }
  auto state = [&](size_t index) -> at::Tensor {
    if (!context.has_input(index)) return at::zeros({p.directions, batch, H}, x.options());
    const at::Tensor& s = context.input(index);
    return p.layout_batch_first ? s.transpose(0, 1) : s;
  };
  at::Tensor h0 = state(5);
  at::Tensor c0 = cell == Cell::kLstm ? state(6) : at::Tensor();
  at::Tensor peep = cell == Cell::kLstm && context.has_input(7) ? context.input(7) : at::Tensor();
  if (h0.dim() != 3 || h0.size(0) != p.directions || h0.size(1) != batch || h0.size(2) != H) {
    return absl::InvalidArgumentError("initial_h does not match direction, batch or hidden");
  }

  at::Tensor y, y_h, y_c;  // [seq, dirs, batch, H], [dirs, batch, H], [dirs, batch, H]
  if (IsPlainLstm(p, activations, direction, x, w, r, b, mask, peep)) {
    std::tie(y, y_h, y_c) = TorchLstm(p, x, w, r, b, h0, c0);
  } else {
    std::vector<at::Tensor> ys, hs, cs;
    for (int64_t d = 0; d < p.directions; ++d) {
      const bool reverse = direction == "reverse" || d == 1;
      AIAAS_ASSIGN_OR_RETURN(
          std::vector<at::Tensor> result,
          RunDirection(p, &activations[d * per_direction], x, w[d], r[d], b[d], h0[d],
                       c0.defined() ? c0[d] : at::zeros({batch, H}, x.options()),
                       peep.defined() ? peep[d] : at::Tensor(), mask, reverse));
      ys.push_back(result[0]);
      hs.push_back(result[1]);
      cs.push_back(result[2]);
    }
    y = at::stack(ys, 1);
    y_h = at::stack(hs, 0);
    y_c = cell == Cell::kLstm ? at::stack(cs, 0) : at::Tensor();
  }
  if (p.layout_batch_first) {
    y = y.permute({2, 0, 1, 3}).contiguous();
    y_h = y_h.transpose(0, 1).contiguous();
    if (y_c.defined()) y_c = y_c.transpose(0, 1).contiguous();
  }
  std::vector<at::Tensor> outputs{y, y_h};
  if (cell == Cell::kLstm) outputs.push_back(y_c);
  return outputs;
}

Outputs Rnn(const KernelContext& context) { return Recurrent(context, Cell::kRnn); }
Outputs Gru(const KernelContext& context) { return Recurrent(context, Cell::kGru); }
Outputs Lstm(const KernelContext& context) { return Recurrent(context, Cell::kLstm); }

}  // namespace

// Opset 1's output_sequence attribute only made Y optional, and layout (14) is absent
// before 14 (default 0), so one kernel serves every range.
void RegisterRecurrentOps(OpRegistry& registry) {
  registry.Add("RNN", {1, kMaxOpset}, Rnn);
  registry.Add("GRU", {1, kMaxOpset}, Gru);
  registry.Add("LSTM", {1, kMaxOpset}, Lstm);
}

}  // namespace aiaas::runtime::onnxrt
