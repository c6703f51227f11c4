/// @file
/// nn::RNN: a multi-layer Elman RNN over whole sequences, as torch.nn.RNN.
#pragma once

#include "layers/cells.hpp"
#include "layers/recurrent_layer.hpp"

namespace recur::nn {

/// Options of RNN, in torch.nn.RNN's order, plus recurrent_dropout.
struct RNNOptions {
  std::size_t input_size = 0;                     ///< I, features per step.
  std::size_t hidden_size = 0;                    ///< H, features of the state.
  std::size_t num_layers = 1;                     ///< Stacked layers.
  Nonlinearity nonlinearity = Nonlinearity::tanh; ///< tanh or relu.
  bool bias = true;                               ///< Adds bias_ih and bias_hh.
  bool batch_first = false;                       ///< Input and output [B, T, F], not [T, B, F].
  float dropout = 0.0f;        ///< Dropout on each layer's output but the last, in training.
  bool bidirectional = false;  ///< Adds a reverse direction (D = 2).
  /// Variational dropout on h before W_hh: one mask per sequence for all steps, in training.
  float recurrent_dropout = 0.0f;
};

/// PyTorch's `(output, h_n)`: output [T, B, D*H] ([B, T, D*H] with batch_first) and
/// h_n [num_layers * D, B, H].
struct RNNResult {
  Var output;  ///< The top layer's h at every step (zero past a sequence's length).
  Var h_n;     ///< Every layer and direction's final h.
};

/// A multi-layer RNN: h_t = tanh(x_t W_ih^T + b_ih + h_(t-1) W_hh^T + b_hh) (or relu).
///
/// Parameters as torch.nn.RNN: weight_ih_l{k}[_reverse] [H, I or D*H], weight_hh_l{k} [H, H],
/// bias_ih_l{k}, bias_hh_l{k} [H].
/// @code
/// recur::nn::RNN rnn({.input_size = 8, .hidden_size = 16, .num_layers = 2});
/// auto [output, h_n] = rnn(x);           // x: [T, B, 8] -> output [T, B, 16], h_n [2, B, 16]
/// auto padded = rnn(x, lengths, h_n);    // a padded batch, lengths: IndexTensor [B]
/// @endcode
/// @see @ref recurrent_zoo "The recurrent zoo" for the equations, names and shapes of the weights.
class RNN : public detail::RecurrentLayer {
 public:
  /// A layer with freshly initialised weights.
  /// @throws recur::ValueError for bad options.
  explicit RNN(const RNNOptions& options);
  /// Runs the whole sequence; `h0` [num_layers * D, B, H] defaults to zeros.
  /// An unbatched input [T, I] with 2-D states gives 2-D results, as in torch.nn.
  /// @param input [T, B, I] ([B, T, I] with batch_first), or [T, I].
  /// @param h0 [num_layers * D, B, H], or an empty Var for zeros.
  /// @return The output [T, B, D * H] and h_n [num_layers * D, B, H], as PyTorch's
  ///         `(output, h_n)`.
  /// @throws recur::ShapeError naming the layer when the input's features or h0's shape do not
  ///         fit.
  RNNResult forward(const Var& input, const Var& h0 = Var());
  /// A padded batch: sequence b is `lengths(b)` steps long (1 to T), as PyTorch's packed
  /// sequences: its state stops at its last step, the reverse direction starts there, and its
  /// outputs past it are zero with no gradient. The output keeps all T steps, like
  /// `pad_packed_sequence(..., total_length=T)`.
  /// @param input The padded batch [T, B, I] ([B, T, I] with batch_first).
  /// @param lengths Each sequence's length [B], in [1, T].
  /// @param h0 [num_layers * D, B, H], or an empty Var for zeros.
  /// @throws recur::ValueError for a bad length; otherwise as forward(const Var&, const Var&).
  RNNResult forward(const Var& input, const IndexTensor& lengths, const Var& h0 = Var());
  /// forward(input, h0).
  RNNResult operator()(const Var& input, const Var& h0 = Var()) { return forward(input, h0); }
  /// forward(input, lengths, h0).
  RNNResult operator()(const Var& input, const IndexTensor& lengths, const Var& h0 = Var()) {
    return forward(input, lengths, h0);
  }
  /// The options the layer was built with.
  const RNNOptions& options() const { return options_; }

 private:
  RNNOptions options_;
};

}  // namespace recur::nn
