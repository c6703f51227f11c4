/// @file
/// Activation functions beyond sigmoid, tanh and relu (elementwise.hpp): GELU, SiLU, leaky
/// ReLU, softplus and log-sigmoid, with torch.nn.functional's names, defaults and gradients.
/// @code
/// recur::Var h = recur::gelu(recur::linear(x, w1, b1));          // a transformer's MLP
/// recur::Var log_z = recur::log_sigmoid(gate);                    // minGRU's log-space gate
/// @endcode
#pragma once

#include "autograd/var.hpp"

namespace recur {

/// Which form of GELU to compute, as torch's `approximate=` argument.
enum class GeluApproximation {
  none,  ///< The exact x * Phi(x), Phi the standard normal CDF (through erf).
  tanh,  ///< 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), as in GPT-2 and BERT's code.
};

/// The Gaussian error linear unit, x * Phi(x), elementwise.
/// @param x Any value.
/// @param approximate `GeluApproximation::none` (exact, torch's default) or
///        `GeluApproximation::tanh`.
Var gelu(const Var& x, GeluApproximation approximate = GeluApproximation::none);

/// SiLU (swish), x * sigmoid(x), elementwise.
/// @param x Any value.
Var silu(const Var& x);

/// x where x > 0, negative_slope * x elsewhere; the gradient at 0 is negative_slope, as torch's.
/// @param x Any value. @param negative_slope The slope for x <= 0 (torch's default 0.01).
Var leaky_relu(const Var& x, float negative_slope = 0.01f);

/// log(1 + exp(beta x)) / beta, elementwise, as torch.nn.functional.softplus: where
/// beta x > threshold it is x itself (and its gradient 1), which also keeps exp from overflowing.
/// @param x Any value. @param beta The sharpness (> 0 for the usual curve).
/// @param threshold Above this value of beta x, the result is linear.
Var softplus(const Var& x, float beta = 1.0f, float threshold = 20.0f);

/// log(sigmoid(x)), elementwise, computed stably as min(x, 0) - log1p(exp(-|x|)): finite for any
/// finite x (log of sigmoid would give -inf below about -88 in float32).
/// @param x Any value.
Var log_sigmoid(const Var& x);

}  // namespace recur
