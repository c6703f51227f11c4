/// @file
/// nn::CIFGLSTM: the LSTM with coupled input and forget gates, f = 1 - i (Greff et al. 2017).
#pragma once

#include <array>
#include <cstddef>
#include <tuple>

#include "autograd/cell_declaration.hpp"
#include "layers/recurrent_layer.hpp"

namespace recur::nn {
namespace cells {

/// Coupled input and forget gate LSTM, the CIFG variant of Greff, Srivastava, Koutnik, Steunebrink
/// and Schmidhuber (2017), "LSTM: A Search Space Odyssey": their vanilla LSTM (with peepholes)
/// whose forget gate is 1 - i, so one gate fewer. Gates i, g, o (torch.nn.LSTM's without f).
struct CIFGLSTM {
  static constexpr const char* name = "CIFGLSTM";                ///< For messages.
  static constexpr std::size_t gates = 3;                        ///< i, g, o
  static constexpr std::array<const char*, 2> states{"h", "c"};  ///< Hidden and cell state.
  /// The peepholes of the input and output gates.
  static constexpr std::array<const char*, 2> vectors{"weight_ci", "weight_co"};
  /// i = sigmoid(z_i + w_ci c), c' = (1 - i) c + i tanh(z_g), o = sigmoid(z_o + w_co c'),
  /// h' = o tanh(c').
  static auto step(const auto& in) {
    const auto& [z_i, z_g, z_o] = in.gates;
    const auto& [h, c] = in.state;
    const auto& [w_ci, w_co] = in.vectors;
    const auto i = sigmoid(z_i + w_ci * c);
    const auto f = 1.0f - i;  // the coupling
    const auto c_next = f * c + i * tanh(z_g);
    const auto o = sigmoid(z_o + w_co * c_next);
    return std::tuple{o * tanh(c_next), c_next};
  }
  /// The peepholes start at zero (a coupled LSTM without peepholes, at first).
  static void initialise(CellParameters& p) {
    for (Tensor* peephole : p.vectors)
      if (peephole) peephole->fill(0.0f);
  }
};

}  // namespace cells

/// Options of CIFGLSTM: those of torch.nn.LSTM (and recurrent_dropout).
using CIFGLSTMOptions = RecurrentOptions;

/// A multi-layer coupled input-forget gate LSTM (Greff et al. 2017), gates i, g, o:
/// i = sigmoid(z_i + w_ci c), c' = (1 - i) c + i tanh(z_g), o = sigmoid(z_o + w_co c'),
/// h' = o tanh(c'), with z = x W_ih^T + b_ih + h W_hh^T + b_hh.
///
/// Parameters: weight_ih_l{k} [3H, I], weight_hh_l{k} [3H, Hout], bias_ih_l{k} and bias_hh_l{k}
/// [3H] (blocks i, g, o), the peepholes weight_ci_l{k}, weight_co_l{k} [H] (zero at first), and
/// weight_hr_l{k} with proj_size.
/// @code
/// recur::nn::CIFGLSTM lstm({.input_size = 8, .hidden_size = 32});
/// recur::nn::RecurrentResult r = lstm(x);   // r.states: {h_n, c_n}
/// @endcode
/// @see @ref recurrent_zoo "The recurrent zoo".
class CIFGLSTM : public detail::SequenceLayer {
 public:
  /// A layer with freshly initialised weights. @throws recur::ValueError for bad options.
  explicit CIFGLSTM(const CIFGLSTMOptions& options);
  /// The options the layer was built with.
  const CIFGLSTMOptions& options() const { return recurrent_options(); }
};

namespace detail {
/// The engine's view of cells::CIFGLSTM.
const cell::CellSpec& cifg_lstm_spec();
}  // namespace detail

}  // namespace recur::nn
