#include "optim/rmsprop.hpp"

#include "core/error.hpp"

namespace recur::optim {
namespace {

constexpr std::size_t kSquareAvg = 0, kMomentum = 1, kGradAvg = 2;

void check_options(const RMSpropOptions& options) {
  const auto fail = [](const char* what, double value) {
    throw ValueError(std::string("RMSprop: invalid ") + what + " " + std::to_string(value));
  };
  if (!(options.lr >= 0)) fail("learning rate", options.lr);
  if (!(options.eps >= 0)) fail("epsilon", options.eps);
  if (!(options.momentum >= 0)) fail("momentum", options.momentum);
  if (!(options.weight_decay >= 0)) fail("weight_decay", options.weight_decay);
  if (!(options.alpha >= 0)) fail("alpha", options.alpha);
}

}  // namespace

RMSprop::RMSprop(const std::vector<Parameter*>& params, const RMSpropOptions& options)
    : RMSprop({{.params = params}}, options) {}

RMSprop::RMSprop(std::span<const ParamGroup> groups, const RMSpropOptions& options)
    : OptimizerWithOptions("RMSprop", groups, options) {
  for (std::size_t group = 0; group < num_groups(); ++group) check_options(this->options(group));
}

std::array<bool, 3> RMSprop::buffers_used(std::size_t group) const {
  check_group(group, "buffers_used");
  return {true, options(group).momentum > 0, options(group).centered};
}

void RMSprop::update(std::size_t index, Parameter& parameter, ParameterState& /*state*/,
                     const RMSpropOptions& options) {
  const auto alpha = static_cast<float>(options.alpha);
  const auto one_minus_alpha = static_cast<float>(1 - options.alpha);
  const auto eps = static_cast<float>(options.eps);
  const auto lr = static_cast<float>(options.lr);
  const Tensor& grad = decayed_grad(index, static_cast<float>(options.weight_decay));
  Tensor& square_avg = buffer(index, kSquareAvg);
  xt::noalias(square_avg) = alpha * square_avg + one_minus_alpha * grad * grad;
  // The denominator avg goes into the update expressions directly: no temporary tensor.
  if (options.centered) {
    Tensor& grad_avg = buffer(index, kGradAvg);
    xt::noalias(grad_avg) = alpha * grad_avg + one_minus_alpha * grad;
    if (options.momentum > 0) {
      Tensor& velocity = buffer(index, kMomentum);
      xt::noalias(velocity) = static_cast<float>(options.momentum) * velocity +
                              grad / (xt::sqrt(square_avg - grad_avg * grad_avg) + eps);
      xt::noalias(parameter.value) = parameter.value - lr * velocity;
    } else {
      xt::noalias(parameter.value) =
          parameter.value - lr * grad / (xt::sqrt(square_avg - grad_avg * grad_avg) + eps);
    }
  } else if (options.momentum > 0) {
    Tensor& velocity = buffer(index, kMomentum);
    xt::noalias(velocity) =
        static_cast<float>(options.momentum) * velocity + grad / (xt::sqrt(square_avg) + eps);
    xt::noalias(parameter.value) = parameter.value - lr * velocity;
  } else {
    xt::noalias(parameter.value) = parameter.value - lr * grad / (xt::sqrt(square_avg) + eps);
  }
}

}  // namespace recur::optim
