/// @file
/// nn::IndRNN: the independently recurrent network (Li, Li, Cook, Zhu and Gao 2018), each unit
/// fed back only its own previous value through one weight.
#pragma once

#include <array>
#include <cstddef>
#include <tuple>

#include "autograd/cell_declaration.hpp"
#include "layers/cells.hpp"
#include "layers/recurrent_layer.hpp"

namespace recur::nn {
namespace cells {

/// IndRNN (Li et al. 2018, "Independently Recurrent Neural Network (IndRNN): Building A Longer
/// and Deeper RNN"): h' = act(x W^T + b + u * h), u a vector (`weight_hh`, [H]), so there is no
/// recurrent matrix; act is relu (the paper's) or tanh.
template <Nonlinearity activation>
struct IndRNNOf {
  static constexpr const char* name = "IndRNN";                ///< For messages.
  static constexpr std::size_t gates = 1;                      ///< z = x W_ih^T + b_ih
  static constexpr std::array<const char*, 1> states{"h"};     ///< The state.
  static constexpr std::array<const char*, 1> vectors{"weight_hh"};  ///< u, one per unit.
  /// No W_hh: h enters through u * h in the step.
  static constexpr cell::Recurrence recurrence = cell::Recurrence::none;
  /// h' = act(z + u h).
  static auto step(const auto& in) {
    const auto& [z] = in.gates;
    const auto& [h] = in.state;
    const auto& [u] = in.vectors;
    if constexpr (activation == Nonlinearity::relu) return std::tuple{relu(z + u * h)};
    else return std::tuple{tanh(z + u * h)};
  }
};

/// IndRNN with relu, the paper's activation.
using IndRNNReLU = IndRNNOf<Nonlinearity::relu>;
/// IndRNN with tanh.
using IndRNNTanh = IndRNNOf<Nonlinearity::tanh>;

}  // namespace cells

/// Options of IndRNN: torch.nn.RNN's, the range u is drawn from, and the bound on |u|.
struct IndRNNOptions {
  std::size_t input_size = 0;   ///< I, features per step.
  std::size_t hidden_size = 0;  ///< H, units.
  std::size_t num_layers = 1;   ///< Stacked layers.
  Nonlinearity nonlinearity = Nonlinearity::relu;  ///< relu (the paper's) or tanh.
  bool bias = true;             ///< Adds bias_ih (there is no bias_hh: no W_hh).
  bool batch_first = false;     ///< Input and output [B, T, F], not [T, B, F].
  float dropout = 0.0f;         ///< Dropout on each layer's output but the last, in training.
  bool bidirectional = false;   ///< Adds a reverse direction (D = 2).
  /// u ~ U(recurrent_init_min, recurrent_init_max): [0, 1] as in the paper's experiments; for a
  /// memory of about T steps the paper draws the last layer's u from [(1/2)^(1/T), 1].
  float recurrent_init_min = 0.0f;
  float recurrent_init_max = 1.0f;  ///< See recurrent_init_min.
  /// With m > 0, clamp_recurrent_weights() keeps every u in [-m, m], the paper's constraint
  /// (m = 2^(1/T) for relu keeps a gradient over T steps from exploding; 1 for tanh). Applied
  /// once at construction; call it after each optimiser step. 0: no bound.
  float recurrent_max_abs = 0.0f;
};

/// A multi-layer IndRNN (Li et al. 2018): h' = relu(x W_ih^T + b_ih + u * h), or tanh.
///
/// Parameters per layer and direction: weight_ih_l{k} [H, I or D*H], weight_hh_l{k} [H] (u, a
/// vector), bias_ih_l{k} [H]; the names of the paper's PyTorch code.
/// @code
/// recur::nn::IndRNN rnn({.input_size = 2, .hidden_size = 128, .num_layers = 2,
///                        .recurrent_max_abs = std::pow(2.0f, 1.0f / 1000)});
/// recur::nn::RecurrentResult r = rnn(x);   // x [T, B, 2] -> r.output [T, B, 128]
/// // ... backward, optimiser.step(), then:
/// rnn.clamp_recurrent_weights();           // |u| <= 2^(1/1000) again
/// @endcode
/// @see @ref recurrent_zoo "The recurrent zoo".
class IndRNN : public detail::SequenceLayer {
 public:
  /// A layer with freshly initialised weights: W_ih and b_ih as torch.nn.RNN's, u as the
  /// options say. @throws recur::ValueError for bad options (an empty or inverted u range, a
  /// negative bound).
  explicit IndRNN(const IndRNNOptions& options);
  /// Clamps every u (weight_hh_l{k}) into [-recurrent_max_abs, recurrent_max_abs]; nothing
  /// when the bound is 0. Call it after each optimiser step, as the paper does.
  void clamp_recurrent_weights();
  /// The options the layer was built with.
  const IndRNNOptions& options() const { return options_; }

 private:
  IndRNNOptions options_;
};

namespace detail {
/// The engine's view of cells::IndRNNReLU.
const cell::CellSpec& indrnn_relu_spec();
/// The engine's view of cells::IndRNNTanh.
const cell::CellSpec& indrnn_tanh_spec();
}  // namespace detail

}  // namespace recur::nn
