/// @file
/// nn::CoRNN: the coupled oscillatory RNN (Rusch and Mishra 2021), a network of damped,
/// driven nonlinear oscillators discretised in time; position y is the output, velocity z the
/// second state, and both feed back.
#pragma once

#include <array>
#include <cstddef>
#include <tuple>

#include "autograd/cell_declaration.hpp"
#include "layers/recurrent_layer.hpp"

namespace recur::nn {
namespace cells {

/// coRNN (Rusch and Mishra 2021, "Coupled Oscillatory Recurrent Neural Network (coRNN): An
/// accurate and (gradient) stable architecture for learning long time dependencies"), the
/// paper's IMEX scheme, eq. (3):
/// z_n = z_{n-1} + dt tanh(W y_{n-1} + W~ z_{n-1} + V u_n + b) - dt gamma y_{n-1} - dt eps z_n,
/// y_n = y_{n-1} + dt z_n. W_hh = [W, W~] reads y and z side by side; dt, gamma and eps are the
/// paper's constants, held as per-unit vectors that are not trained.
struct CoRNN {
  static constexpr const char* name = "CoRNN";                   ///< For messages.
  static constexpr std::size_t gates = 1;                        ///< the oscillators' drive
  static constexpr std::array<const char*, 2> states{"h", "z"};  ///< y (the output), z
  static constexpr std::size_t recurrent_states = 2;             ///< W_hh reads [y, z]
  /// The time step and the two dampings (constants; requires_grad is false).
  static constexpr std::array<const char*, 3> vectors{"dt", "gamma", "epsilon"};
  /// z' = (z + dt (tanh(s) - gamma y)) / (1 + dt eps), y' = y + dt z' (eq. 3 solved for z_n).
  static auto step(const auto& in) {
    const auto& [s] = in.gates;  // V u_n + b + [W, W~] [y_{n-1}, z_{n-1}]
    const auto& [y, z] = in.state;
    const auto& [dt, gamma, epsilon] = in.vectors;
    const auto z_next = (z + dt * (tanh(s) - gamma * y)) / (1.0f + dt * epsilon);
    return std::tuple{y + dt * z_next, z_next};
  }
};

}  // namespace cells

/// Options of CoRNN: torch.nn.RNN's and the paper's constants (defaults: its sequential MNIST
/// setting).
struct CoRNNOptions {
  std::size_t input_size = 0;   ///< I, features per step.
  std::size_t hidden_size = 0;  ///< H, oscillators.
  std::size_t num_layers = 1;   ///< Stacked layers.
  bool bias = true;             ///< Adds bias_ih and bias_hh.
  bool batch_first = false;     ///< Input and output [B, T, F], not [T, B, F].
  float dropout = 0.0f;         ///< Dropout on each layer's output but the last, in training.
  bool bidirectional = false;   ///< Adds a reverse direction (D = 2).
  float dt = 0.042f;            ///< The time step Delta t.
  float gamma = 2.7f;           ///< The restoring force's strength.
  float epsilon = 4.7f;         ///< The damping.
  float recurrent_dropout = 0.0f;  ///< Variational dropout on [y, z] before W_hh, in training.
};

/// A multi-layer coRNN (Rusch and Mishra 2021). The output is the position y at every step;
/// states[0] is y_n, states[1] the velocity z_n.
///
/// Parameters: weight_ih_l{k} [H, I], weight_hh_l{k} [H, 2H] (W for y, then W~ for z),
/// bias_ih_l{k}, bias_hh_l{k} [H], initialised as the paper's code initialises its one linear
/// map of [u, z, y] (uniform +-1/sqrt(I + 2H), bias_hh zero); and the constants dt_l{k},
/// gamma_l{k}, epsilon_l{k} [H], with requires_grad false (saved with the weights; set
/// requires_grad to learn them).
/// @code
/// recur::nn::CoRNN rnn({.input_size = 1, .hidden_size = 256});
/// recur::nn::RecurrentResult r = rnn(x);   // r.states: {y_n, z_n}
/// @endcode
/// @see @ref recurrent_zoo "The recurrent zoo".
class CoRNN : public detail::SequenceLayer {
 public:
  /// A layer with freshly initialised weights. @throws recur::ValueError for bad options
  /// (dt not positive, gamma or epsilon negative).
  explicit CoRNN(const CoRNNOptions& options);
  /// The options the layer was built with.
  const CoRNNOptions& options() const { return options_; }

 private:
  CoRNNOptions options_;
};

namespace detail {
/// The engine's view of cells::CoRNN.
const cell::CellSpec& cornn_spec();
}  // namespace detail

}  // namespace recur::nn
