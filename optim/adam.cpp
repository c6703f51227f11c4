#include "optim/adam.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <type_traits>
#include <xsimd/xsimd.hpp>
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
  // One pass over the four arrays, where three xtensor assignments made three (a fifth of a
  // batch-1 LSTM training step was those passes): each element's m, v and step in the order of
  // PyTorch's formula.
  float* const values = value.data();
  float* const firsts = exp_avg.data();
  float* const seconds = exp_avg_sq.data();
  float* const maxima = max_exp_avg_sq ? max_exp_avg_sq->data() : nullptr;
  const float* const grads = grad.data();
  const auto update = [&]<class T>(std::size_t i, T) {
    const auto load = [&](const float* from) {
      if constexpr (std::is_same_v<T, float>) return from[i];
      else return T::load_unaligned(from + i);
    };
    const auto store = [&](float* to, T x) {
      if constexpr (std::is_same_v<T, float>) to[i] = x;
      else x.store_unaligned(to + i);
    };
    const T g = load(grads);
    const T m = T(b1) * load(firsts) + T(one_minus_b1) * g;
    const T v = T(b2) * load(seconds) + T(one_minus_b2) * g * g;
    store(firsts, m);
    store(seconds, v);
    T most = v;
    if (maxima) {
      if constexpr (std::is_same_v<T, float>) most = std::max(load(maxima), v);
      else most = xsimd::max(load(maxima), v);
      store(maxima, most);
    }
    using std::sqrt;
    const T denominator = sqrt(most) / T(bias_correction2_sqrt) + T(eps);
    store(values, load(values) - T(step_size) * m / denominator);
  };
  // Every element's update is its own: the team splits the elements of a large parameter (in
  // whole grains of 256, at least 64K per member), and each result is bitwise the same on any
  // number of threads (grains are whole vectors, so the same elements take the vector path).
  kernels::parallel_for(value.size(), 256, 65536, [&](std::size_t begin, std::size_t end) {
    using Batch = xsimd::batch<float>;
    std::size_t i = begin;
    for (; i + Batch::size <= end; i += Batch::size) update(i, Batch());
    for (; i < end; ++i) update(i, 0.0f);
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
