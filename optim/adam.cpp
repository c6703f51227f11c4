#include "optim/adam.hpp"

#include <array>
#include <cmath>
#include <xtensor/xadapt.hpp>
#include <xtensor/xmath.hpp>
#include <xtensor/xnoalias.hpp>

#include "core/error.hpp"
#include "core/kernels/team.hpp"

namespace recur::optim {
namespace {

constexpr std::size_t kExpAvg = 0, kExpAvgSq = 1, kMaxExpAvgSq = 2;

template <class Options>
void check_options(const char* name, const Options& options) {
  const auto fail = [&](const char* what, double value) {
    throw ValueError(std::string(name) + ": invalid " + what + " " + std::to_string(value));
  };
  if (!(options.lr >= 0)) fail("learning rate", options.lr);
  if (!(options.eps >= 0)) fail("eps", options.eps);
  if (!(options.betas[0] >= 0 && options.betas[0] < 1)) fail("beta parameter at index 0", options.betas[0]);
  if (!(options.betas[1] >= 0 && options.betas[1] < 1)) fail("beta parameter at index 1", options.betas[1]);
  if (!(options.weight_decay >= 0)) fail("weight_decay", options.weight_decay);
}

// The moment updates and the step shared by Adam and AdamW, for one parameter whose step
// count was already incremented; `grad` is the (possibly weight-decayed) gradient.
template <class Options>
void adam_update(Tensor& value, const Tensor& grad, Tensor& exp_avg, Tensor& exp_avg_sq,
                 Tensor* max_exp_avg_sq, std::int64_t step, const Options& options) {
  const double beta1 = options.betas[0], beta2 = options.betas[1];
  // Bias corrections in double, as PyTorch computes them on Python floats.
  const double bias_correction1 = 1 - std::pow(beta1, static_cast<double>(step));
  const double bias_correction2 = 1 - std::pow(beta2, static_cast<double>(step));
  const auto step_size = static_cast<float>(options.lr / bias_correction1);
  const auto bias_correction2_sqrt = static_cast<float>(std::sqrt(bias_correction2));
  const auto eps = static_cast<float>(options.eps);
  const auto b1 = static_cast<float>(beta1), one_minus_b1 = static_cast<float>(1 - beta1);
  const auto b2 = static_cast<float>(beta2), one_minus_b2 = static_cast<float>(1 - beta2);
  // Every element's update is its own: the team splits the elements of a large parameter (in
  // whole grains, at least 64K per member), and each result is bitwise the same on any number
  // of threads.
  kernels::parallel_for(value.size(), 256, 65536, [&](std::size_t begin, std::size_t end) {
    const std::array<std::size_t, 1> shape{end - begin};
    const auto part = [&](Tensor& tensor) {
      return xt::adapt(tensor.data() + begin, end - begin, xt::no_ownership(), shape);
    };
    auto p = part(value), m = part(exp_avg), v = part(exp_avg_sq);
    const auto g = xt::adapt(grad.data() + begin, end - begin, xt::no_ownership(), shape);
    xt::noalias(m) = b1 * m + one_minus_b1 * g;
    xt::noalias(v) = b2 * v + one_minus_b2 * g * g;
    if (max_exp_avg_sq) {
      auto most = part(*max_exp_avg_sq);
      xt::noalias(most) = xt::maximum(most, v);
      xt::noalias(p) = p - step_size * m / (xt::sqrt(most) / bias_correction2_sqrt + eps);
    } else {
      xt::noalias(p) = p - step_size * m / (xt::sqrt(v) / bias_correction2_sqrt + eps);
    }
  });
}

}  // namespace

Adam::Adam(const std::vector<Parameter*>& params, const AdamOptions& options)
    : Adam({{.params = params}}, options) {}

Adam::Adam(std::span<const ParamGroup> groups, const AdamOptions& options)
    : OptimizerWithOptions("Adam", groups, options) {
  for (std::size_t group = 0; group < num_groups(); ++group) check_options("Adam", this->options(group));
}

std::array<bool, 3> Adam::buffers_used(std::size_t group) const {
  check_group(group, "buffers_used");
  return {true, true, options(group).amsgrad};
}

void Adam::update(std::size_t index, Parameter& parameter, ParameterState& state,
                  const AdamOptions& options) {
  const Tensor& grad = decayed_grad(index, static_cast<float>(options.weight_decay));
  adam_update(parameter.value, grad, buffer(index, kExpAvg), buffer(index, kExpAvgSq),
              options.amsgrad ? &buffer(index, kMaxExpAvgSq) : nullptr, state.step, options);
}

AdamW::AdamW(const std::vector<Parameter*>& params, const AdamWOptions& options)
    : AdamW({{.params = params}}, options) {}

AdamW::AdamW(std::span<const ParamGroup> groups, const AdamWOptions& options)
    : OptimizerWithOptions("AdamW", groups, options) {
  for (std::size_t group = 0; group < num_groups(); ++group) check_options("AdamW", this->options(group));
}

std::array<bool, 3> AdamW::buffers_used(std::size_t group) const {
  check_group(group, "buffers_used");
  return {true, true, options(group).amsgrad};
}

void AdamW::update(std::size_t index, Parameter& parameter, ParameterState& state,
                   const AdamWOptions& options) {
  // Decoupled weight decay: shrink the weights, then step with the plain gradient.
  const auto decay = static_cast<float>(1 - options.lr * options.weight_decay);
  xt::noalias(parameter.value) = parameter.value * decay;
  adam_update(parameter.value, parameter.grad, buffer(index, kExpAvg), buffer(index, kExpAvgSq),
              options.amsgrad ? &buffer(index, kMaxExpAvgSq) : nullptr, state.step, options);
}

}  // namespace recur::optim
