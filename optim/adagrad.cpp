#include "optim/adagrad.hpp"

#include "core/error.hpp"

namespace recur::optim {
namespace {

constexpr std::size_t kSum = 0;

void check_options(const AdagradOptions& options) {
  const auto fail = [](const char* what, double value) {
    throw ValueError(std::string("Adagrad: invalid ") + what + " " + std::to_string(value));
  };
  if (!(options.lr >= 0)) fail("learning rate", options.lr);
  if (!(options.lr_decay >= 0)) fail("lr_decay", options.lr_decay);
  if (!(options.weight_decay >= 0)) fail("weight_decay", options.weight_decay);
  if (!(options.initial_accumulator_value >= 0))
    fail("initial_accumulator_value", options.initial_accumulator_value);
  if (!(options.eps >= 0)) fail("epsilon", options.eps);
}

}  // namespace

Adagrad::Adagrad(const std::vector<Parameter*>& params, const AdagradOptions& options)
    : Adagrad({{.params = params}}, options) {}

Adagrad::Adagrad(std::span<const ParamGroup> groups, const AdagradOptions& options)
    : OptimizerWithOptions("Adagrad", groups, options) {
  for (std::size_t group = 0; group < num_groups(); ++group) check_options(this->options(group));
}

void Adagrad::update(std::size_t index, Parameter& parameter, ParameterState& state,
                     const AdagradOptions& options) {
  const Tensor& grad = decayed_grad(index, static_cast<float>(options.weight_decay));
  const auto current_lr = static_cast<float>(
      options.lr / (1 + static_cast<double>(state.step - 1) * options.lr_decay));
  Tensor& sum = buffer(index, kSum, static_cast<float>(options.initial_accumulator_value));
  xt::noalias(sum) = sum + grad * grad;
  xt::noalias(parameter.value) =
      parameter.value - current_lr * grad / (xt::sqrt(sum) + static_cast<float>(options.eps));
}

}  // namespace recur::optim
