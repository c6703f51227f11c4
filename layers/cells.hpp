/// @file
/// The recurrent cells RNNCell, LSTMCell and GRUCell: one time step, with torch.nn's parameter
/// names, shapes, gate order and initialisation.
#pragma once

#include <cstddef>

#include "autograd/var.hpp"
#include "layers/module.hpp"
#include "layers/recurrent_layer.hpp"

namespace recur::nn {

/// The activation of a plain RNN, as torch.nn.RNN's `nonlinearity`.
enum class Nonlinearity {
  tanh,  ///< h' = tanh(...), PyTorch's default.
  relu,  ///< h' = max(0, ...).
};

/// An LSTM's state: h [.., B, Hout] and c [.., B, H]; PyTorch's `(h, c)` tuple.
struct LSTMState {
  Var h;  ///< Hidden state.
  Var c;  ///< Cell state.
};


/// Options of RNNCell, in torch.nn.RNNCell's order.
struct RNNCellOptions {
  std::size_t input_size = 0;                     ///< I, features per input row.
  std::size_t hidden_size = 0;                    ///< H, features of the state.
  bool bias = true;                               ///< Adds bias_ih and bias_hh.
  Nonlinearity nonlinearity = Nonlinearity::tanh; ///< tanh or relu.
};

/// An Elman RNN cell: h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu).
///
/// Parameters as torch.nn.RNNCell: weight_ih [H, I], weight_hh [H, H], bias_ih [H], bias_hh [H].
/// @code
/// recur::nn::RNNCell cell({.input_size = 4, .hidden_size = 8});
/// recur::Var h = cell(x);        // x: [B, 4] -> h: [B, 8]; the state starts at zero
/// h = cell(x2, h);
/// @endcode
/// @see @ref recurrent_zoo "The recurrent zoo" for the equations, names and shapes of the weights.
class RNNCell : public detail::StepModule {
 public:
  /// A cell with freshly initialised weights.
  /// @throws recur::ValueError for a zero size.
  explicit RNNCell(const RNNCellOptions& options);
  /// One step: x [B, I], h [B, H] (zeros when empty) -> h' [B, H].
  /// @param x The input [B, I]. @param h The state [B, H], or an empty Var for zeros.
  /// @throws recur::ShapeError naming the cell and the shapes when x or h does not fit, or B is 0.
  Var forward(const Var& x, const Var& h = Var());
  /// forward(x, h).
  Var operator()(const Var& x, const Var& h = Var()) { return forward(x, h); }
  /// The options the cell was built with.
  const RNNCellOptions& options() const { return options_; }

 private:
  RNNCellOptions options_;
};

/// Options of LSTMCell, in torch.nn.LSTMCell's order, plus forget_bias.
struct LSTMCellOptions {
  std::size_t input_size = 0;   ///< I, features per input row.
  std::size_t hidden_size = 0;  ///< H, features of the state.
  bool bias = true;             ///< Adds bias_ih and bias_hh.
  /// Added to the forget-gate slice of bias_ih at initialisation (Keras and DyNet use 1; the
  /// default 0 keeps PyTorch's initialisation). Needs `bias`.
  float forget_bias = 0.0f;
};

/// A long short-term memory cell, gates ordered i, f, g, o as in torch.nn.LSTMCell:
/// c' = sigmoid(f) * c + sigmoid(i) * tanh(g), h' = sigmoid(o) * tanh(c').
///
/// Parameters: weight_ih [4H, I], weight_hh [4H, H], bias_ih [4H], bias_hh [4H].
/// @code
/// recur::nn::LSTMCell cell({.input_size = 4, .hidden_size = 8});
/// recur::nn::LSTMState state = cell(x);        // h and c: [B, 8]
/// state = cell(x2, state);
/// @endcode
/// @see @ref recurrent_zoo "The recurrent zoo" for the equations, names and shapes of the weights.
class LSTMCell : public detail::StepModule {
 public:
  /// A cell with freshly initialised weights.
  /// @throws recur::ValueError for bad options.
  explicit LSTMCell(const LSTMCellOptions& options);
  /// One step: x [B, I], state h, c [B, H] (both zeros when empty) -> (h', c').
  /// @param x The input [B, I]. @param state h and c [B, H], or both empty for zeros.
  /// @throws recur::ShapeError naming the cell and the shapes when x or the state does not fit;
  ///         recur::ValueError when only one of h and c is given.
  LSTMState forward(const Var& x, const LSTMState& state = {});
  /// forward(x, state).
  LSTMState operator()(const Var& x, const LSTMState& state = {}) { return forward(x, state); }
  /// The options the cell was built with.
  const LSTMCellOptions& options() const { return options_; }

 private:
  LSTMCellOptions options_;
};

/// Options of GRUCell, in torch.nn.GRUCell's order.
struct GRUCellOptions {
  std::size_t input_size = 0;   ///< I, features per input row.
  std::size_t hidden_size = 0;  ///< H, features of the state.
  bool bias = true;             ///< Adds bias_ih and bias_hh.
};

/// A gated recurrent unit, gates ordered r, z, n as in torch.nn.GRUCell:
/// n = tanh(x_n + r * (h W_hn^T + b_hn)), h' = (1 - z) * n + z * h.
///
/// Parameters: weight_ih [3H, I], weight_hh [3H, H], bias_ih [3H], bias_hh [3H].
/// @code
/// recur::nn::GRUCell cell({.input_size = 4, .hidden_size = 8});
/// recur::Var h = cell(x);        // x: [B, 4] -> h: [B, 8]
/// @endcode
/// @see @ref recurrent_zoo "The recurrent zoo" for the equations, names and shapes of the weights.
class GRUCell : public detail::StepModule {
 public:
  /// A cell with freshly initialised weights.
  /// @throws recur::ValueError for a zero size.
  explicit GRUCell(const GRUCellOptions& options);
  /// One step: x [B, I], h [B, H] (zeros when empty) -> h' [B, H].
  /// @param x The input [B, I]. @param h The state [B, H], or an empty Var for zeros.
  /// @throws recur::ShapeError naming the cell and the shapes when x or h does not fit, or B is 0.
  Var forward(const Var& x, const Var& h = Var());
  /// forward(x, h).
  Var operator()(const Var& x, const Var& h = Var()) { return forward(x, h); }
  /// The options the cell was built with.
  const GRUCellOptions& options() const { return options_; }

 private:
  GRUCellOptions options_;
};

}  // namespace recur::nn
