/// @file
/// nn::PeepholeLSTM: the LSTM whose gates also see the cell state (Gers and Schmidhuber 2000).
/// Its declaration, cells::PeepholeLSTM, is the worked example of @ref writing_a_cell
/// "Writing a recurrent cell".
#pragma once

#include <array>
#include <cstddef>
#include <tuple>

#include "autograd/cell_declaration.hpp"
#include "layers/recurrent_layer.hpp"

namespace recur::nn {
namespace cells {

// [peephole cell]  (the block the manual shows)
/// Peephole LSTM (Gers and Schmidhuber 2000, "Recurrent nets that time and count"; the vanilla
/// LSTM of Greff et al. 2017): the input and forget gates also look at the cell state c, the
/// output gate at the new one, each through a per-unit weight.
struct PeepholeLSTM {
  static constexpr const char* name = "PeepholeLSTM";            ///< For messages.
  static constexpr std::size_t gates = 4;                        ///< i, f, g, o, as torch's LSTM
  static constexpr std::array<const char*, 2> states{"h", "c"};  ///< h first: the output
  /// The peepholes, one weight per unit.
  static constexpr std::array<const char*, 3> vectors{"weight_ci", "weight_cf", "weight_co"};

  /// One step, the paper's equations.
  static auto step(const auto& in) {
    const auto& [z_i, z_f, z_g, z_o] = in.gates;  // x W_ih^T + b_ih + h W_hh^T + b_hh
    const auto& [h, c] = in.state;                // h enters through W_hh only
    const auto& [w_ci, w_cf, w_co] = in.vectors;
    const auto i = sigmoid(z_i + w_ci * c);
    const auto f = sigmoid(z_f + w_cf * c);
    const auto c_next = f * c + i * tanh(z_g);
    const auto o = sigmoid(z_o + w_co * c_next);
    return std::tuple{o * tanh(c_next), c_next};
  }

  /// The peepholes start at zero, so a new layer is a plain LSTM and learns how much to look.
  static void initialise(recur::nn::CellParameters& p) {
    for (recur::Tensor* peephole : p.vectors)
      if (peephole) peephole->fill(0.0f);
  }
};
// [peephole cell]  (the block the manual shows)

}  // namespace cells

/// Options of PeepholeLSTM: those of torch.nn.LSTM (and recurrent_dropout).
using PeepholeLSTMOptions = RecurrentOptions;

/// A multi-layer peephole LSTM (Gers and Schmidhuber 2000), gates i, f, g, o as torch.nn.LSTM:
/// i = sigmoid(z_i + w_ci c), f = sigmoid(z_f + w_cf c), c' = f c + i tanh(z_g),
/// o = sigmoid(z_o + w_co c'), h' = o tanh(c').
///
/// Parameters: torch.nn.LSTM's (weight_ih_l{k}, weight_hh_l{k}, bias_ih_l{k}, bias_hh_l{k},
/// weight_hr_l{k} with proj_size) and the peepholes weight_ci_l{k}, weight_cf_l{k},
/// weight_co_l{k} [H], which start at zero.
/// @code
/// recur::nn::PeepholeLSTM lstm({.input_size = 8, .hidden_size = 32});
/// recur::nn::RecurrentResult r = lstm(x);   // x [T, B, 8] -> r.output [T, B, 32]
/// recur::Var h_n = r.states[0], c_n = r.states[1];
/// @endcode
/// @see @ref recurrent_zoo "The recurrent zoo".
class PeepholeLSTM : public detail::SequenceLayer {
 public:
  /// A layer with freshly initialised weights. @throws recur::ValueError for bad options.
  explicit PeepholeLSTM(const PeepholeLSTMOptions& options);
  /// The options the layer was built with.
  const PeepholeLSTMOptions& options() const { return recurrent_options(); }
};

namespace detail {
/// The engine's view of cells::PeepholeLSTM (its kernels are compiled in the library).
const cell::CellSpec& peephole_lstm_spec();
}  // namespace detail

}  // namespace recur::nn
