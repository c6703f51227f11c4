/// @file
/// nn::LRU: the linear recurrent unit (Orvieto et al. 2023), a diagonal complex linear
/// recurrence in real arithmetic, as a composite module.
#pragma once

#include <array>
#include <cstddef>

#include "autograd/cell_declaration.hpp"
#include "autograd/parameter.hpp"
#include "autograd/var.hpp"
#include "layers/module.hpp"
#include "layers/recurrent_layer.hpp"

namespace recur::nn {

/// Options of LRU: the width of the input (and of the output), the number of complex states,
/// and the paper's ring initialisation.
struct LRUOptions {
  std::size_t input_size = 0;   ///< H, features per step in and out.
  std::size_t state_size = 0;   ///< N, complex states (2N real numbers).
  bool batch_first = false;     ///< Input and output [B, T, H], not [T, B, H].
  float r_min = 0.0f;           ///< Smallest |lambda| of the ring initialisation.
  float r_max = 1.0f;           ///< Largest |lambda|, below 1.
  float max_phase = 6.2831853f; ///< Phases arg(lambda) drawn from [0, max_phase).
};

/// The linear recurrent unit (Orvieto, Smith, Gu, Fernando, Gulcehre, Pascanu and De 2023,
/// "Resurrecting Recurrent Neural Networks for Long Sequences"):
///   x_k = lambda * x_{k-1} + gamma * (B u_k),  y_k = Re(C x_k) + D * u_k,
/// lambda = exp(-exp(nu_log) + i exp(theta_log)) diagonal, gamma = exp(gamma_log). recur keeps
/// x as real and imaginary parts: each lambda is a 2x2 rotation-and-scaling block.
///
/// A composite module (the readout C mixes the states, which a pointwise engine step cannot
/// express): B u and the readout are one product each over all steps, and the recurrence one
/// recur::rotation_scan node. Parameters, named as the paper's code: nu_log,
/// theta_log, gamma_log [N], B_re, B_im [N, H], C_re, C_im [H, N], D [H]. Initialisation: the
/// paper's ring (|lambda| uniform on the ring r_min..r_max by area, phase uniform), gamma
/// normalised to sqrt(1 - |lambda|^2), B ~ N(0, 1/(2H)), C ~ N(0, 1/N), D ~ N(0, 1).
/// @code
/// recur::nn::LRU lru({.input_size = 64, .state_size = 128, .r_min = 0.9f, .r_max = 0.999f});
/// recur::nn::RecurrentResult r = lru(x);   // x [T, B, 64] -> r.output [T, B, 64]
/// @endcode
/// @see @ref recurrent_zoo "The recurrent zoo".
class LRU : public Module {
 public:
  /// A layer with freshly initialised weights. @throws recur::ValueError for bad options.
  explicit LRU(const LRUOptions& options);
  /// Runs the whole sequence. @param input [T, B, H] ([B, T, H] with batch_first).
  /// @param initial The state's real and imaginary parts, [1, B, N] each, or empty for zeros.
  /// @return output [T, B, H]; states[0] and states[1] the final state's real and imaginary
  ///         parts, [1, B, N].
  /// @throws recur::ShapeError naming the layer and the shapes when the input or a state does
  ///         not fit.
  RecurrentResult forward(const Var& input, const std::array<Var, cell::kMaxStates>& initial = {});
  /// forward(input, initial).
  RecurrentResult operator()(const Var& input,
                             const std::array<Var, cell::kMaxStates>& initial = {}) {
    return forward(input, initial);
  }
  /// The options the layer was built with.
  const LRUOptions& options() const { return options_; }

 private:
  LRUOptions options_;
  Parameter *nu_log_, *theta_log_, *gamma_log_, *b_re_, *b_im_, *c_re_, *c_im_, *d_;
};

}  // namespace recur::nn
