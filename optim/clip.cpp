#include "optim/clip.hpp"

#include <cmath>
#include <limits>

#include "core/error.hpp"

namespace recur::optim {
namespace {

// sum |g|^p over one gradient, accumulated in double so that millions of small squares do not
// vanish against a large partial sum.
double sum_of_powers(const Tensor& grad, double p) {
  double total = 0;
  const float* data = grad.data();
  const std::size_t size = grad.size();
  if (p == 2) {
    for (std::size_t i = 0; i < size; ++i) total += static_cast<double>(data[i]) * data[i];
  } else if (p == 1) {
    for (std::size_t i = 0; i < size; ++i) total += std::abs(static_cast<double>(data[i]));
  } else {
    for (std::size_t i = 0; i < size; ++i) total += std::pow(std::abs(static_cast<double>(data[i])), p);
  }
  return total;
}

}  // namespace

double clip_grad_norm(const std::vector<Parameter*>& params, double max_norm, double norm_type,
                      bool error_if_nonfinite) {
  if (!(norm_type > 0))
    throw ValueError("clip_grad_norm: norm_type must be positive or INFINITY, got " +
                     std::to_string(norm_type));
  if (!(max_norm >= 0))
    throw ValueError("clip_grad_norm: max_norm must be non-negative, got " + std::to_string(max_norm));
  double total = 0;
  const bool infinity_norm = std::isinf(norm_type);
  for (const Parameter* parameter : params) {
    if (parameter == nullptr) throw ValueError("clip_grad_norm: got a null parameter");
    if (!parameter->requires_grad) continue;
    if (infinity_norm) {
      for (float value : parameter->grad) {
        const double magnitude = std::abs(static_cast<double>(value));
        if (magnitude > total || std::isnan(magnitude)) total = magnitude;
      }
    } else {
      total += sum_of_powers(parameter->grad, norm_type);
    }
  }
  if (!infinity_norm) total = norm_type == 2 ? std::sqrt(total) : std::pow(total, 1.0 / norm_type);
  if (error_if_nonfinite && !std::isfinite(total))
    throw ValueError("clip_grad_norm: the total norm of the gradients is " + std::to_string(total) +
                     ", so they cannot be clipped (a diverging loss?)");
  const double clip_coef = max_norm / (total + 1e-6);
  if (clip_coef < 1 || std::isnan(clip_coef)) {
    const auto factor = static_cast<float>(clip_coef);
    for (Parameter* parameter : params)
      if (parameter->requires_grad) xt::noalias(parameter->grad) = parameter->grad * factor;
  }
  return total;
}

void clip_grad_value(const std::vector<Parameter*>& params, double clip_value) {
  if (!(clip_value >= 0))
    throw ValueError("clip_grad_value: clip_value must be non-negative, got " + std::to_string(clip_value));
  const auto limit = static_cast<float>(clip_value);
  for (Parameter* parameter : params) {
    if (parameter == nullptr) throw ValueError("clip_grad_value: got a null parameter");
    if (parameter->requires_grad)
      xt::noalias(parameter->grad) = xt::clip(parameter->grad, -limit, limit);
  }
}

}  // namespace recur::optim
