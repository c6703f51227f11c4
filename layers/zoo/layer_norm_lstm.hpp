/// @file
/// nn::LayerNormLSTM: the layer-normalised LSTM (Ba, Kiros and Hinton 2016), a composite module:
/// its step normalises over the units, which a pointwise engine step cannot, so it runs op by op
/// on the tape.
#pragma once

#include <array>
#include <cstddef>
#include <vector>

#include "autograd/cell_declaration.hpp"
#include "autograd/parameter.hpp"
#include "autograd/var.hpp"
#include "layers/module.hpp"
#include "layers/recurrent_layer.hpp"

namespace recur::nn {

namespace detail {
/// One layer and direction's parameters of a LayerNormLSTM.
struct LayerNormLSTMParameters {
  Parameter *weight_ih, *weight_hh, *bias, *ln_ih_weight, *ln_ih_bias, *ln_hh_weight,
      *ln_hh_bias, *ln_c_weight, *ln_c_bias;
};
}  // namespace detail

/// Options of LayerNormLSTM: torch.nn.LSTM's without bias (the normalisations' shifts are the
/// biases), projection or padded batches, and layer norm's eps.
struct LayerNormLSTMOptions {
  std::size_t input_size = 0;   ///< I, features per step.
  std::size_t hidden_size = 0;  ///< H, units.
  std::size_t num_layers = 1;   ///< Stacked layers.
  bool batch_first = false;     ///< Input and output [B, T, F], not [T, B, F].
  float dropout = 0.0f;         ///< Dropout on each layer's output but the last, in training.
  bool bidirectional = false;   ///< Adds a reverse direction (D = 2).
  float eps = 1e-5f;            ///< Added to the variance in every normalisation.
};

/// A multi-layer layer-normalised LSTM (Ba, Kiros and Hinton 2016, "Layer Normalization",
/// eqs. 20-22), in the form most libraries use: each gate block of the input and of the
/// hidden pre-activations is normalised over its H units, and so is c before the output tanh.
/// Gates i, f, g, o as torch.nn.LSTM:
///   z = LN_blocks(x W_ih^T; a_ih, b_ih) + LN_blocks(h W_hh^T; a_hh, b_hh) + bias,
///   c' = sigmoid(f) c + sigmoid(i) tanh(g), h' = sigmoid(o) tanh(LN(c'; a_c, b_c)).
///
/// A composite module: every step is recorded op by op on the tape (layer_norm, matmul, the
/// gates), not one recurrence node, so it is slower than the engine's cells. Parameters per
/// layer and direction: weight_ih_l{k} [4H, I], weight_hh_l{k} [4H, H], bias_l{k} [4H],
/// ln_ih_weight_l{k}, ln_ih_bias_l{k}, ln_hh_weight_l{k}, ln_hh_bias_l{k} [4H] (one gain and
/// shift per unit of each block), ln_c_weight_l{k}, ln_c_bias_l{k} [H]. Initialisation: the
/// weights as torch.nn.LSTM's, gains 1 and shifts and bias 0, as the paper.
/// @code
/// recur::nn::LayerNormLSTM lstm({.input_size = 8, .hidden_size = 64});
/// recur::nn::RecurrentResult r = lstm(x);   // r.output [T, B, 64]; r.states: {h_n, c_n}
/// @endcode
/// @see @ref recurrent_zoo "The recurrent zoo".
class LayerNormLSTM : public Module {
 public:
  /// A layer with freshly initialised weights. @throws recur::ValueError for bad options.
  explicit LayerNormLSTM(const LayerNormLSTMOptions& options);
  /// Runs the whole sequence. @param input [T, B, I] ([B, T, I] with batch_first).
  /// @param initial h0 and c0, [L*D, B, H] each, or empty for zeros.
  /// @return output [T, B, D*H]; states[0] h_n and states[1] c_n, [L*D, B, H].
  /// @throws recur::ShapeError naming the layer and the shapes when the input or a state does
  ///         not fit.
  RecurrentResult forward(const Var& input, const std::array<Var, cell::kMaxStates>& initial = {});
  /// forward(input, initial).
  RecurrentResult operator()(const Var& input,
                             const std::array<Var, cell::kMaxStates>& initial = {}) {
    return forward(input, initial);
  }
  /// The options the layer was built with.
  const LayerNormLSTMOptions& options() const { return options_; }

 private:
  // One layer and direction over x [T, B, F] from h0, c0 [B, H]: output [T, B, H], h_n, c_n.
  std::array<Var, 3> run_direction(const Var& x, const detail::LayerNormLSTMParameters& p,
                                   const Var& h0, const Var& c0, bool reverse) const;
  LayerNormLSTMOptions options_;
  // index: layer * directions + direction
  std::vector<detail::LayerNormLSTMParameters> parameters_;
};

}  // namespace recur::nn
