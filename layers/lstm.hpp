/// @file
/// nn::LSTM: a multi-layer long short-term memory over whole sequences, as torch.nn.LSTM.
#pragma once

#include "layers/cells.hpp"
#include "layers/recurrent_layer.hpp"

namespace recur::nn {

/// Options of LSTM, in torch.nn.LSTM's order, plus forget_bias and recurrent_dropout.
struct LSTMOptions {
  std::size_t input_size = 0;  ///< I, features per step.
  std::size_t hidden_size = 0; ///< H, features of the cell state.
  std::size_t num_layers = 1;  ///< Stacked layers.
  bool bias = true;            ///< Adds bias_ih and bias_hh.
  bool batch_first = false;    ///< Input and output [B, T, F], not [T, B, F].
  float dropout = 0.0f;        ///< Dropout on each layer's output but the last, in training.
  bool bidirectional = false;  ///< Adds a reverse direction (D = 2).
  /// With P > 0, h is projected to P features by weight_hr_l{k} [P, H] (needs P < H).
  std::size_t proj_size = 0;
  /// Added to the forget-gate slice of every bias_ih at initialisation (pytorch#20102; Keras
  /// and DyNet use 1). The default 0 keeps PyTorch's initialisation.
  float forget_bias = 0.0f;
  /// Variational dropout on h before W_hh: one mask per sequence for all steps, in training
  /// (Gal and Ghahramani 2016; pytorch#37731).
  float recurrent_dropout = 0.0f;
  /// Chrono initialisation (Tallec and Ollivier 2018) for dependencies up to T_max steps: the
  /// forget-gate biases are drawn from log(U(1, T_max - 1)) and the input-gate biases are their
  /// negation (in bias_ih; bias_hh is zero in those blocks). Parameters keep PyTorch's layout.
  /// 0 (the default) keeps PyTorch's initialisation; otherwise at least 2, with bias = true
  /// and forget_bias = 0.
  float chrono_init = 0.0f;
};

/// PyTorch's `(output, (h_n, c_n))`: output [T, B, D*Hout] ([B, T, D*Hout] with batch_first),
/// state.h [num_layers * D, B, Hout] and state.c [num_layers * D, B, H], Hout = P or H.
struct LSTMResult {
  Var output;         ///< The top layer's h at every step (zero past a sequence's length).
  LSTMState state;    ///< Every layer and direction's final (h, c).
};

/// A multi-layer LSTM, gates ordered i, f, g, o as in torch.nn.LSTM:
/// c' = sigmoid(f) * c + sigmoid(i) * tanh(g), h' = sigmoid(o) * tanh(c') (then h' W_hr^T).
///
/// Parameters: weight_ih_l{k}[_reverse] [4H, I or D*Hout], weight_hh_l{k} [4H, Hout],
/// bias_ih_l{k}, bias_hh_l{k} [4H], and with proj_size weight_hr_l{k} [P, H].
/// @code
/// recur::nn::LSTM lstm({.input_size = 64, .hidden_size = 128, .num_layers = 2,
///                       .bidirectional = true});
/// auto [output, state] = lstm(x);        // x: [T, B, 64] -> output [T, B, 256]
/// auto next = lstm(x2, state);           // continue from (h_n, c_n), each [4, B, 128]
/// @endcode
/// @see @ref recurrent_zoo "The recurrent zoo" for the equations, names and shapes of the weights.
class LSTM : public detail::RecurrentLayer {
 public:
  /// A layer with freshly initialised weights.
  /// @throws recur::ValueError for bad options.
  explicit LSTM(const LSTMOptions& options);
  /// Runs the whole sequence; `state` (h0, c0) defaults to zeros (give both or neither).
  /// An unbatched input [T, I] with 2-D states gives 2-D results, as in torch.nn.
  /// @param input [T, B, I] ([B, T, I] with batch_first), or [T, I].
  /// @param state h0 [num_layers * D, B, Hout] and c0 [num_layers * D, B, H], or both empty.
  /// @return The output [T, B, D * Hout] and the final state, as PyTorch's
  ///         `(output, (h_n, c_n))`.
  /// @throws recur::ShapeError naming the layer when the input's features or a state's shape
  ///         do not fit; recur::ValueError when only one of h0 and c0 is given.
  LSTMResult forward(const Var& input, const LSTMState& state = {});
  /// A padded batch: sequence b is `lengths(b)` steps long (1 to T), as PyTorch's packed
  /// sequences: its state stops at its last step, the reverse direction starts there, and its
  /// outputs past it are zero with no gradient. The output keeps all T steps, like
  /// `pad_packed_sequence(..., total_length=T)`.
  /// @param input The padded batch [T, B, I] ([B, T, I] with batch_first).
  /// @param lengths Each sequence's length [B], in [1, T].
  /// @param state h0 and c0 as in forward(const Var&, const LSTMState&), or both empty.
  /// @throws recur::ValueError for a bad length; otherwise as
  ///         forward(const Var&, const LSTMState&).
  LSTMResult forward(const Var& input, const IndexTensor& lengths, const LSTMState& state = {});
  /// forward(input, state).
  LSTMResult operator()(const Var& input, const LSTMState& state = {}) {
    return forward(input, state);
  }
  /// forward(input, lengths, state).
  LSTMResult operator()(const Var& input, const IndexTensor& lengths,
                        const LSTMState& state = {}) {
    return forward(input, lengths, state);
  }
  /// The options the layer was built with.
  const LSTMOptions& options() const { return options_; }

 private:
  LSTMOptions options_;
};

}  // namespace recur::nn
