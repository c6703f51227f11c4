// The cell equations, each a handful of ops. Shapes: B batch, H hidden, G gates x H, Hout the
// output width (H, or P with an LSTM projection).
#include "layers/cell_steps.hpp"

#include <array>
#include <cmath>
#include <string>

#include "autograd/ops/elementwise.hpp"
#include "autograd/ops/linalg.hpp"
#include "autograd/ops/shape_ops.hpp"
#include "core/error.hpp"
#include "core/random.hpp"

namespace recur::nn::detail {
namespace {

// gates_x + h W_hh^T + b_hh; a zero state (empty h) adds only b_hh, sparing the GEMM.
Var pre_activation(const Var& gates_x, const Var& h_in, const StepWeights& w) {
  if (h_in.defined()) return add(gates_x, linear(h_in, w.weight_hh, w.bias_hh));
  return w.bias_hh.defined() ? add(gates_x, w.bias_hh) : gates_x;
}

// The `count` equal column blocks of a [B, count * H] pre-activation, as slices: chunk() would
// return them in a std::vector, one heap allocation per cell step.
template <std::size_t count>
std::array<Var, count> gate_blocks(const Var& x) {
  const std::size_t width = x.dim(1) / count;
  std::array<Var, count> blocks;
  for (std::size_t k = 0; k < count; ++k) blocks[k] = slice(x, 1, k * width, (k + 1) * width);
  return blocks;
}

// h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh), act = tanh or relu (torch.nn.RNNCell)
StepState rnn_step(bool relu, const Var& gates_x, const Var& h_in, const StepWeights& w) {
  const Var pre = pre_activation(gates_x, h_in, w);
  return {relu ? recur::relu(pre) : recur::tanh(pre), Var()};
}

// torch.nn.LSTMCell, gates ordered i, f, g, o:
//   [i, f, g, o] = x W_ih^T + b_ih + h W_hh^T + b_hh
//   c' = sigmoid(f) * c + sigmoid(i) * tanh(g),   h' = sigmoid(o) * tanh(c')   [then h' W_hr^T]
StepState lstm_step(const Var& gates_x, const StepState& state, const Var& h_in,
                    const StepWeights& w) {
  const std::array<Var, 4> gates = gate_blocks<4>(pre_activation(gates_x, h_in, w));
  const Var input_gate = sigmoid(gates[0]);
  const Var candidate = recur::tanh(gates[2]), output_gate = sigmoid(gates[3]);
  const Var new_memory = mul(input_gate, candidate);
  // A zero state (empty c) has nothing to forget.
  const Var c = state.c.defined() ? add(mul(sigmoid(gates[1]), state.c), new_memory) : new_memory;
  Var h = mul(output_gate, recur::tanh(c));
  if (w.weight_hr.defined()) h = matmul(h, w.weight_hr, false, true);  // [B, H] -> [B, P]
  return {h, c};
}

// torch.nn.GRUCell, gates ordered r, z, n, with b_hn inside the reset product:
//   r = sigmoid(x_r + h_r),  z = sigmoid(x_z + h_z),  n = tanh(x_n + r * h_n)
//   h' = (1 - z) * n + z * h = n + z * (h - n)
// where x_* = x W_i*^T + b_i* and h_* = h W_h*^T + b_h*.
StepState gru_step(const Var& gates_x, const StepState& state, const Var& h_in,
                   const StepWeights& w) {
  const std::array<Var, 3> x_gates = gate_blocks<3>(gates_x);
  const std::array<Var, 3> h_gates = gate_blocks<3>(linear(h_in, w.weight_hh, w.bias_hh));
  const Var reset = sigmoid(add(x_gates[0], h_gates[0]));
  const Var update = sigmoid(add(x_gates[1], h_gates[1]));
  const Var candidate = recur::tanh(add(x_gates[2], mul(reset, h_gates[2])));
  return {add(candidate, mul(update, sub(state.h, candidate))), Var()};
}

}  // namespace

StepState cell_step(CellKind kind, const Var& gates_x, const StepState& state, const Var& h_in,
                    const StepWeights& weights) {
  switch (kind) {
    case CellKind::rnn_tanh: return rnn_step(false, gates_x, h_in, weights);
    case CellKind::rnn_relu: return rnn_step(true, gates_x, h_in, weights);
    case CellKind::lstm: return lstm_step(gates_x, state, h_in, weights);
    case CellKind::gru: return gru_step(gates_x, state, h_in, weights);
  }
  return {};
}

Tensor recurrent_uniform(const Shape& shape, std::size_t hidden_size) {
  const float bound = 1.0f / std::sqrt(static_cast<float>(hidden_size));
  return default_generator().uniform(shape, -bound, bound);
}

void add_forget_bias(Parameter& bias_ih, std::size_t hidden_size, float forget_bias) {
  float* forget = bias_ih.value.data() + hidden_size;
  for (std::size_t j = 0; j < hidden_size; ++j) forget[j] += forget_bias;
  bias_ih.bump_version();
}

void require_positive(const char* layer, const char* option, std::size_t value) {
  if (value == 0)
    throw ValueError(std::string(layer) + ": " + option + " must be positive, got 0");
}

void require_probability(const char* layer, const char* option, float p) {
  if (!(p >= 0.0f && p < 1.0f))
    throw ValueError(std::string(layer) + ": " + option + " must be in [0, 1), got " +
                     std::to_string(p));
}

}  // namespace recur::nn::detail
