/// @file
/// nn::MinLSTM: the minimal LSTM of Feng et al. (2024): gates from the input only, normalised
/// so that f + i = 1, trained step by step on the engine or as one parallel scan.
#pragma once

#include <array>
#include <cstddef>
#include <tuple>
#include <utility>

#include "autograd/cell_declaration.hpp"
#include "layers/recurrent_layer.hpp"
#include "layers/zoo/min_rnn.hpp"

namespace recur::nn {
namespace cells {

/// minLSTM (Feng et al. 2024, "Were RNNs All We Needed?"), log-space form: f = sigmoid(k_f),
/// i = sigmoid(k_i), normalised f' = f / (f + i), i' = i / (f + i), h~ = g(k_h),
/// h' = f' h + i' h~, with k = x W^T + b and g of cells::positive_candidate.
struct MinLSTM {
  static constexpr const char* name = "MinLSTM";               ///< For messages.
  static constexpr std::size_t gates = 3;                      ///< f, i, h~
  static constexpr std::array<const char*, 1> states{"h"};     ///< The state.
  /// Gates from x alone: h enters only through the step.
  static constexpr cell::Recurrence recurrence = cell::Recurrence::none;
  /// h' = f' h + i' g(k_h).
  static auto step(const auto& in) {
    const auto& [k_f, k_i, k_h] = in.gates;
    const auto& [h] = in.state;
    const auto f = sigmoid(k_f);
    const auto i = sigmoid(k_i);
    const auto f_norm = f / (f + i);  // the paper's length-independence scaling
    const auto i_norm = i / (f + i);
    return std::tuple{f_norm * h + i_norm * positive_candidate(k_h)};
  }
};

}  // namespace cells

/// Options of MinLSTM.
using MinLSTMOptions = MinRNNOptions;

/// A multi-layer minLSTM (Feng et al. 2024): f' = f / (f + i), i' = i / (f + i),
/// h' = f' h + i' g(x W_h^T + b_h), with f, i sigmoids of affine maps of x.
///
/// Parameters: weight_ih_l{k} [3H, I or D*H] and bias_ih_l{k} [3H], blocks f, i, h~,
/// initialised as nn.Linear (uniform +-1/sqrt(in)). The initial state is used as given.
/// @code
/// recur::nn::MinLSTM rnn({.input_size = 8, .hidden_size = 64});
/// recur::nn::RecurrentResult r = rnn(x);   // r.states[0]: h_n
/// @endcode
/// @see @ref recurrent_zoo "The recurrent zoo".
class MinLSTM : public detail::ScanLayer {
 public:
  /// A layer with freshly initialised weights. @throws recur::ValueError for bad options.
  explicit MinLSTM(const MinLSTMOptions& options);
  /// The options the layer was built with.
  const MinLSTMOptions& options() const { return options_; }

 protected:
  /// log f' and log(i' h~) from the pre-activations.
  std::pair<Var, Var> log_coefficients(const Var& gates) const override;

 private:
  MinLSTMOptions options_;
};

namespace detail {
/// The engine's view of cells::MinLSTM.
const cell::CellSpec& min_lstm_spec();
}  // namespace detail

}  // namespace recur::nn
