/// @file
/// nn::MinGRU: the minimal GRU of Feng et al. (2024), whose gate and candidate depend on the
/// input only, so it trains either step by step on the engine or as one parallel scan.
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

/// minGRU (Feng, Tung, Ahmed, Bengio and Hajimirsadeghi 2024, "Were RNNs All We Needed?"), in
/// the log-space form the paper trains: z = sigmoid(x W_z^T + b_z), h~ = g(x W_h^T + b_h),
/// h' = (1 - z) h + z h~, with g of cells::positive_candidate. No recurrent matrix.
struct MinGRU {
  static constexpr const char* name = "MinGRU";                ///< For messages.
  static constexpr std::size_t gates = 2;                      ///< z, h~
  static constexpr std::array<const char*, 1> states{"h"};     ///< The state.
  /// Gates from x alone: h enters only through the step.
  static constexpr cell::Recurrence recurrence = cell::Recurrence::none;
  /// h' = (1 - z) h + z g(k_h).
  static auto step(const auto& in) {
    const auto& [k_z, k_h] = in.gates;
    const auto& [h] = in.state;
    const auto z = sigmoid(k_z);
    const auto h_tilde = positive_candidate(k_h);
    return std::tuple{(1.0f - z) * h + z * h_tilde};
  }
};

}  // namespace cells

/// Options of MinGRU.
using MinGRUOptions = MinRNNOptions;

/// A multi-layer minGRU (Feng et al. 2024): z = sigmoid(x W_z^T + b_z), h~ = g(x W_h^T + b_h),
/// h' = (1 - z) h + z h~, g(k) = k + 1/2 for k >= 0, sigmoid(k) below.
///
/// Parameters: weight_ih_l{k} [2H, I or D*H] and bias_ih_l{k} [2H], blocks z then h~,
/// initialised as nn.Linear (uniform +-1/sqrt(in)), as the paper's code. The initial state is
/// used as given (zeros by default); the paper's code passes g(h0).
/// @code
/// recur::nn::MinGRU rnn({.input_size = 8, .hidden_size = 64, .parallel_scan = true});
/// recur::nn::RecurrentResult r = rnn(x);   // x [T, B, 8] -> r.output [T, B, 64]
/// @endcode
/// @see @ref recurrent_zoo "The recurrent zoo".
class MinGRU : public detail::ScanLayer {
 public:
  /// A layer with freshly initialised weights. @throws recur::ValueError for bad options.
  explicit MinGRU(const MinGRUOptions& options);
  /// The options the layer was built with.
  const MinGRUOptions& options() const { return options_; }

 protected:
  /// log(1 - z) and log(z h~) from the pre-activations.
  std::pair<Var, Var> log_coefficients(const Var& gates) const override;

 private:
  MinGRUOptions options_;
};

namespace detail {
/// The engine's view of cells::MinGRU.
const cell::CellSpec& min_gru_spec();
}  // namespace detail

}  // namespace recur::nn
