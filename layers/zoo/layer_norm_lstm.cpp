// The layer-normalised LSTM as ops on the tape: per layer and direction, the input's gate
// pre-activations of every step are projected and normalised at once, then each step adds the
// normalised hidden product and runs the LSTM's gates.
#include "layers/zoo/layer_norm_lstm.hpp"

#include <cmath>
#include <string>

#include "autograd/anomaly.hpp"
#include "autograd/ops/elementwise.hpp"
#include "autograd/ops/layout_ops.hpp"
#include "autograd/ops/linalg.hpp"
#include "autograd/ops/nn_ops.hpp"
#include "autograd/ops/normalization.hpp"
#include "autograd/ops/shape_ops.hpp"
#include "autograd/tape.hpp"
#include "core/error.hpp"

namespace recur::nn {
namespace {

constexpr const char* kName = "LayerNormLSTM";

Tensor ones(const Shape& shape) {
  Tensor t = zeros(shape);
  t.fill(1.0f);
  return t;
}

// Each of the four gate blocks of z [..., 4H] normalised over its H units, then scaled and
// shifted per unit: weight and bias [4H].
Var normalise_blocks(const Var& z, std::size_t H, const Var& weight, const Var& bias,
                     float eps) {
  Shape blocks(z.shape().begin(), z.shape().end() - 1);  // [..., 4, H]
  blocks.push_back(4);
  blocks.push_back(H);
  const Var normalised = layer_norm(reshape(z, blocks), H, Var(), Var(), eps);
  const Var scaled = normalised * reshape(weight, {4, H}) + reshape(bias, {4, H});
  return reshape(scaled, Shape(z.shape().begin(), z.shape().end()));
}

}  // namespace

LayerNormLSTM::LayerNormLSTM(const LayerNormLSTMOptions& options) : options_(options) {
  detail::require_positive(kName, "input_size", options.input_size);
  detail::require_positive(kName, "hidden_size", options.hidden_size);
  detail::require_positive(kName, "num_layers", options.num_layers);
  detail::require_probability(kName, "dropout", options.dropout);
  if (!(options.eps > 0.0f))
    throw ValueError(std::string(kName) + ": eps must be positive, got " +
                     std::to_string(options.eps));
  const std::size_t H = options.hidden_size, G = 4 * H;
  const std::size_t directions = options.bidirectional ? 2 : 1;
  for (std::size_t layer = 0; layer < options.num_layers; ++layer) {
    const std::size_t in = layer == 0 ? options.input_size : directions * H;
    for (std::size_t direction = 0; direction < directions; ++direction) {
      const std::string suffix = "_l" + std::to_string(layer) + (direction ? "_reverse" : "");
      const auto add = [&](const char* name, Tensor value) {
        return &register_parameter(name + suffix, std::move(value));
      };
      detail::LayerNormLSTMParameters p;
      p.weight_ih = add("weight_ih", detail::recurrent_uniform({G, in}, H));
      p.weight_hh = add("weight_hh", detail::recurrent_uniform({G, H}, H));
      p.bias = add("bias", zeros({G}));
      p.ln_ih_weight = add("ln_ih_weight", ones({G}));
      p.ln_ih_bias = add("ln_ih_bias", zeros({G}));
      p.ln_hh_weight = add("ln_hh_weight", ones({G}));
      p.ln_hh_bias = add("ln_hh_bias", zeros({G}));
      p.ln_c_weight = add("ln_c_weight", ones({H}));
      p.ln_c_bias = add("ln_c_bias", zeros({H}));
      parameters_.push_back(p);
    }
  }
}

std::array<Var, 3> LayerNormLSTM::run_direction(const Var& x,
                                                const detail::LayerNormLSTMParameters& p,
                                                const Var& h0, const Var& c0, bool reverse) const {
  Tape& tape = x.tape();
  const std::size_t T = x.dim(0), H = options_.hidden_size;
  const float eps = options_.eps;
  // LN_blocks(x W_ih^T) for every step at once: [T, B, 4H]
  const Var input_part =
      normalise_blocks(linear(x, tape.parameter(*p.weight_ih)), H,
                       tape.parameter(*p.ln_ih_weight), tape.parameter(*p.ln_ih_bias), eps);
  const Var weight_hh = tape.parameter(*p.weight_hh), bias = tape.parameter(*p.bias);
  const Var ln_hh_weight = tape.parameter(*p.ln_hh_weight);
  const Var ln_hh_bias = tape.parameter(*p.ln_hh_bias);
  const Var ln_c_weight = tape.parameter(*p.ln_c_weight), ln_c_bias = tape.parameter(*p.ln_c_bias);
  Var h = h0, c = c0;
  std::vector<Var> outputs(T);
  for (std::size_t step = 0; step < T; ++step) {
    const std::size_t t = reverse ? T - 1 - step : step;
    const Var hidden_part =
        normalise_blocks(matmul(h, weight_hh, false, true), H, ln_hh_weight, ln_hh_bias, eps);
    const std::vector<Var> z = chunk(select(input_part, 0, t) + hidden_part + bias, 4, 1);
    c = sigmoid(z[1]) * c + sigmoid(z[0]) * tanh(z[2]);  // gates i, f, g, o
    h = sigmoid(z[3]) * tanh(layer_norm(c, H, ln_c_weight, ln_c_bias, eps));
    outputs[t] = h;
  }
  return {stack(outputs, 0), h, c};
}

RecurrentResult LayerNormLSTM::forward(const Var& input,
                                       const std::array<Var, cell::kMaxStates>& initial) {
  const LayerNormLSTMOptions& o = options_;
  const std::string name = kName;
  const ModuleScope scope(this->name());
  detail::require_sequence_input(kName, input, o.input_size, o.batch_first);
  const std::size_t directions = o.bidirectional ? 2 : 1, H = o.hidden_size;
  const std::size_t batch = input.dim(o.batch_first ? 0 : 1), count = o.num_layers * directions;
  for (std::size_t k = 0; k < cell::kMaxStates; ++k) {
    const Var& state = initial[k];
    if (!state.defined()) continue;
    if (k >= 2 || state.rank() != 3 || state.dim(0) != count || state.dim(1) != batch ||
        state.dim(2) != H)
      throw ShapeError(name + ": expected " + (k == 0 ? "h0 " : k == 1 ? "c0 " : "no state ") +
                       shape_str(Shape{count, batch, H}) + " for input " +
                       shape_str(input.shape()) + " but got " + shape_str(state.shape()));
  }
  Tape& tape = input.tape();
  Var x = o.batch_first ? transpose(input, 0, 1) : input;  // [T, B, F]
  std::vector<Var> h_n(count), c_n(count);
  for (std::size_t layer = 0; layer < o.num_layers; ++layer) {
    std::array<Var, 2> outputs;
    for (std::size_t direction = 0; direction < directions; ++direction) {
      const std::size_t k = layer * directions + direction;
      const Var h0 = initial[0].defined() ? select(initial[0], 0, k) : tape.zeros({batch, H});
      const Var c0 = initial[1].defined() ? select(initial[1], 0, k) : tape.zeros({batch, H});
      const std::array<Var, 3> run = run_direction(x, parameters_[k], h0, c0, direction == 1);
      outputs[direction] = run[0];
      h_n[k] = run[1];
      c_n[k] = run[2];
    }
    x = directions == 2 ? concat({outputs[0], outputs[1]}, 2) : outputs[0];
    if (layer + 1 < o.num_layers && o.dropout > 0.0f && is_training())
      x = dropout(x, o.dropout, true);
  }
  RecurrentResult result;
  result.output = o.batch_first ? transpose(x, 0, 1) : x;
  result.states[0] = stack(h_n, 0);
  result.states[1] = stack(c_n, 0);
  return result;
}

}  // namespace recur::nn
