/// @file
/// nn::SLSTM: the scalar LSTM of xLSTM (Beck et al. 2024): exponential input gate, a normaliser
/// state n and a stabiliser state m that keeps the exponentials in range.
#pragma once

#include <array>
#include <cstddef>
#include <tuple>

#include "autograd/cell_declaration.hpp"
#include "autograd/ops/activations.hpp"  // log_sigmoid on Vars, for the reference step
#include "layers/recurrent_layer.hpp"

namespace recur::nn {
namespace cells {

/// sLSTM (Beck, Poeppel, Spanring, Auer, Prudnikova, Kopp, Klambauer, Brandstetter and
/// Hochreiter 2024, "xLSTM: Extended Long Short-Term Memory", eqs. 8-17) with one head (a dense
/// recurrent matrix) and the sigmoid forget gate: gates i, f, z, o; states h, c, n, m.
struct SLSTM {
  static constexpr const char* name = "SLSTM";  ///< For messages.
  static constexpr std::size_t gates = 4;       ///< i~, f~, z~, o~
  /// Hidden, cell, normaliser and stabiliser states.
  static constexpr std::array<const char*, 4> states{"h", "c", "n", "m"};
  /// m' = max(log f + m, i~), i = exp(i~ - m'), f = exp(log f + m - m'), c' = f c + i tanh(z~),
  /// n' = f n + i, h' = sigmoid(o~) c' / n'.
  static auto step(const auto& in) {
    const auto& [i_tilde, f_tilde, z_tilde, o_tilde] = in.gates;
    const auto& [h, c, n, m] = in.state;
    const auto log_f = log_sigmoid(f_tilde);
    const auto m_next = maximum(log_f + m, i_tilde);  // the stabiliser
    const auto i = exp(i_tilde - m_next);
    const auto f = exp(log_f + m - m_next);
    const auto c_next = f * c + i * tanh(z_tilde);
    const auto n_next = f * n + i;
    return std::tuple{sigmoid(o_tilde) * (c_next / n_next), c_next, n_next, m_next};
  }
};

}  // namespace cells

/// Options of SLSTM: those of torch.nn.LSTM without the projection.
struct SLSTMOptions {
  std::size_t input_size = 0;   ///< I, features per step.
  std::size_t hidden_size = 0;  ///< H, units.
  std::size_t num_layers = 1;   ///< Stacked layers.
  bool bias = true;             ///< Adds bias_ih and bias_hh.
  bool batch_first = false;     ///< Input and output [B, T, F], not [T, B, F].
  float dropout = 0.0f;         ///< Dropout on each layer's output but the last, in training.
  bool bidirectional = false;   ///< Adds a reverse direction (D = 2).
  float recurrent_dropout = 0.0f;  ///< Variational dropout on h before W_hh, in training.
};

/// A multi-layer sLSTM (Beck et al. 2024), one head. states: {h_n, c_n, n_n, m_n}; give an
/// initial n > 0 (zeros, the default, are fine: n' = f n + i > 0).
///
/// Parameters: weight_ih_l{k} [4H, I], weight_hh_l{k} [4H, H], bias_ih_l{k}, bias_hh_l{k}
/// [4H], blocks i, f, z, o; initialised as torch.nn.LSTM's.
/// @code
/// recur::nn::SLSTM rnn({.input_size = 8, .hidden_size = 64});
/// recur::nn::RecurrentResult r = rnn(x);   // r.output [T, B, 64]
/// @endcode
/// @see @ref recurrent_zoo "The recurrent zoo".
class SLSTM : public detail::SequenceLayer {
 public:
  /// A layer with freshly initialised weights. @throws recur::ValueError for bad options.
  explicit SLSTM(const SLSTMOptions& options);
  /// The options the layer was built with.
  const SLSTMOptions& options() const { return options_; }

 private:
  SLSTMOptions options_;
};

namespace detail {
/// The engine's view of cells::SLSTM.
const cell::CellSpec& slstm_spec();
}  // namespace detail

}  // namespace recur::nn
