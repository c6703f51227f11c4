/// @file
/// nn::GRU: a multi-layer gated recurrent unit over whole sequences, as torch.nn.GRU.
#pragma once

#include "layers/cells.hpp"
#include "layers/recurrent_layer.hpp"
#include "layers/rnn.hpp"

namespace recur::nn {

/// Options of GRU, in torch.nn.GRU's order, plus recurrent_dropout.
struct GRUOptions {
  std::size_t input_size = 0;  ///< I, features per step.
  std::size_t hidden_size = 0; ///< H, features of the state.
  std::size_t num_layers = 1;  ///< Stacked layers.
  bool bias = true;            ///< Adds bias_ih and bias_hh.
  bool batch_first = false;    ///< Input and output [B, T, F], not [T, B, F].
  float dropout = 0.0f;        ///< Dropout on each layer's output but the last, in training.
  bool bidirectional = false;  ///< Adds a reverse direction (D = 2).
  /// Variational dropout on h before W_hh: one mask per sequence for all steps, in training.
  float recurrent_dropout = 0.0f;
  /// Chrono initialisation (Tallec and Ollivier 2018) for dependencies up to T_max steps: the
  /// update gate z, which keeps h (h' = (1 - z) n + z h), gets biases log(U(1, T_max - 1)) in
  /// bias_ih (bias_hh zero there). Parameters keep PyTorch's layout. 0 (the default) keeps
  /// PyTorch's initialisation; otherwise at least 2, with bias = true.
  float chrono_init = 0.0f;
};

/// PyTorch's `(output, h_n)` of a GRU; the same as RNN's.
using GRUResult = RNNResult;

/// A multi-layer GRU, gates ordered r, z, n as in torch.nn.GRU:
/// n = tanh(x W_in^T + b_in + r * (h W_hn^T + b_hn)), h' = (1 - z) * n + z * h.
///
/// Parameters: weight_ih_l{k}[_reverse] [3H, I or D*H], weight_hh_l{k} [3H, H],
/// bias_ih_l{k}, bias_hh_l{k} [3H].
/// @code
/// recur::nn::GRU gru({.input_size = 8, .hidden_size = 16, .bidirectional = true});
/// auto [output, h_n] = gru(x);      // x: [T, B, 8] -> output [T, B, 32], h_n [2, B, 16]
/// @endcode
/// @see @ref recurrent_zoo "The recurrent zoo" for the equations, names and shapes of the weights.
class GRU : public detail::RecurrentLayer {
 public:
  /// A layer with freshly initialised weights.
  /// @throws recur::ValueError for bad options.
  explicit GRU(const GRUOptions& options);
  /// Runs the whole sequence; `h0` [num_layers * D, B, H] defaults to zeros.
  /// An unbatched input [T, I] with 2-D states gives 2-D results, as in torch.nn.
  /// @param input [T, B, I] ([B, T, I] with batch_first), or [T, I].
  /// @param h0 [num_layers * D, B, H], or an empty Var for zeros.
  /// @return The output [T, B, D * H] and h_n [num_layers * D, B, H], as PyTorch's
  ///         `(output, h_n)`.
  /// @throws recur::ShapeError naming the layer when the input's features or h0's shape do not
  ///         fit.
  GRUResult forward(const Var& input, const Var& h0 = Var());
  /// A padded batch: sequence b is `lengths(b)` steps long (1 to T), as PyTorch's packed
  /// sequences: its state stops at its last step, the reverse direction starts there, and its
  /// outputs past it are zero with no gradient. The output keeps all T steps, like
  /// `pad_packed_sequence(..., total_length=T)`.
  /// @param input The padded batch [T, B, I] ([B, T, I] with batch_first).
  /// @param lengths Each sequence's length [B], in [1, T].
  /// @param h0 [num_layers * D, B, H], or an empty Var for zeros.
  /// @throws recur::ValueError for a bad length; otherwise as forward(const Var&, const Var&).
  GRUResult forward(const Var& input, const IndexTensor& lengths, const Var& h0 = Var());
  /// forward(input, h0).
  GRUResult operator()(const Var& input, const Var& h0 = Var()) { return forward(input, h0); }
  /// forward(input, lengths, h0).
  GRUResult operator()(const Var& input, const IndexTensor& lengths, const Var& h0 = Var()) {
    return forward(input, lengths, h0);
  }
  /// The options the layer was built with.
  const GRUOptions& options() const { return options_; }

 private:
  GRUOptions options_;
};

}  // namespace recur::nn
