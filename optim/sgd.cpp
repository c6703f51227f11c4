#include "optim/sgd.hpp"

#include <cmath>

#include "core/error.hpp"

namespace recur::optim {
namespace {

constexpr std::size_t kMomentum = 0;

void check_options(const SGDOptions& options) {
  if (std::isnan(options.lr))
    throw ValueError("SGD: set a learning rate, e.g. {.lr = 0.01} (PyTorch's SGD has no default)");
  if (!(options.lr >= 0)) throw ValueError("SGD: invalid learning rate " + std::to_string(options.lr));
  if (!(options.momentum >= 0)) throw ValueError("SGD: invalid momentum " + std::to_string(options.momentum));
  if (!(options.weight_decay >= 0))
    throw ValueError("SGD: invalid weight_decay " + std::to_string(options.weight_decay));
  if (options.nesterov && (options.momentum <= 0 || options.dampening != 0))
    throw ValueError("SGD: Nesterov momentum requires a momentum and zero dampening");
}

}  // namespace

SGD::SGD(const std::vector<Parameter*>& params, const SGDOptions& options)
    : SGD({{.params = params}}, options) {}

SGD::SGD(std::span<const ParamGroup> groups, const SGDOptions& options)
    : OptimizerWithOptions("SGD", groups, options) {
  for (std::size_t group = 0; group < num_groups(); ++group) check_options(this->options(group));
}

std::array<bool, 3> SGD::buffers_used(std::size_t group) const {
  check_group(group, "buffers_used");
  return {options(group).momentum != 0, false, false};
}

void SGD::update(std::size_t index, Parameter& parameter, ParameterState& state,
                 const SGDOptions& options) {
  const auto lr = static_cast<float>(options.lr);
  const Tensor& grad = decayed_grad(index, static_cast<float>(options.weight_decay));
  if (options.momentum == 0) {
    xt::noalias(parameter.value) = parameter.value - lr * grad;
    return;
  }
  const auto momentum = static_cast<float>(options.momentum);
  Tensor& velocity = buffer(index, kMomentum);
  if (state.step == 1)  // PyTorch starts the buffer at the first gradient, undamped
    xt::noalias(velocity) = grad;
  else
    xt::noalias(velocity) = momentum * velocity + static_cast<float>(1 - options.dampening) * grad;
  if (options.nesterov)
    xt::noalias(parameter.value) = parameter.value - lr * (grad + momentum * velocity);
  else
    xt::noalias(parameter.value) = parameter.value - lr * velocity;
}

}  // namespace recur::optim
