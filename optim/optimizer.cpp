#include "optim/optimizer.hpp"

#include <algorithm>
#include <unordered_set>
#include <xtensor/xnoalias.hpp>

#include "core/error.hpp"

namespace recur::optim {

Optimizer::Optimizer(std::string name, std::span<const ParamGroup> groups)
    : name_(std::move(name)) {
  if (groups.empty()) throw ValueError(name_ + ": got no parameter groups");
  std::unordered_set<const Parameter*> seen;
  for (std::size_t g = 0; g < groups.size(); ++g) {
    if (groups[g].params.empty())
      throw ValueError(name_ + ": parameter group " + std::to_string(g) +
                       " is empty (PyTorch: optimizer got an empty parameter list)");
    for (Parameter* parameter : groups[g].params) {
      if (parameter == nullptr)
        throw ValueError(name_ + ": parameter group " + std::to_string(g) + " holds a null parameter");
      if (!seen.insert(parameter).second)
        throw ValueError(name_ + ": a parameter appears twice (group " + std::to_string(g) +
                         "); give each parameter to one group only");
      parameters_.push_back(parameter);
      group_of_.push_back(g);
    }
    group_params_.push_back(groups[g].params);
  }
  states_.resize(parameters_.size());
}

void Optimizer::step() {
  for (std::size_t index = 0; index < parameters_.size(); ++index) check_grad(index);
  for (std::size_t index = 0; index < parameters_.size(); ++index) {
    Parameter& parameter = *parameters_[index];
    if (!parameter.requires_grad) continue;
    ParameterState& state = states_[index];
    ++state.step;  // PyTorch counts the step before the update (Adam's bias corrections use it)
    update(index, parameter, state);
    parameter.bump_version();
  }
}

void Optimizer::zero_grad() {
  for (Parameter* parameter : parameters_) parameter->zero_grad();
}

const std::vector<Parameter*>& Optimizer::group_params(std::size_t group) const {
  check_group(group, "group_params");
  return group_params_[group];
}

void Optimizer::throw_no_group(std::size_t group, const char* accessor) const {
  throw ValueError(name_ + "." + accessor + ": no parameter group " + std::to_string(group) +
                   " (this optimiser has " + std::to_string(group_params_.size()) +
                   " groups, numbered from 0)");
}

void Optimizer::throw_no_parameter(std::size_t index, const char* accessor) const {
  throw ValueError(name_ + "." + accessor + ": no parameter " + std::to_string(index) +
                   " (this optimiser has " + std::to_string(parameters_.size()) +
                   " parameters, numbered from 0 in the order of parameters())");
}

void Optimizer::set_lr(double lr) {
  for (std::size_t group = 0; group < num_groups(); ++group) set_lr(group, lr);
}

double Optimizer::initial_lr(std::size_t group) {
  check_group(group, "initial_lr");
  if (initial_lrs_.empty())
    for (std::size_t index = 0; index < num_groups(); ++index) initial_lrs_.push_back(lr(index));
  return initial_lrs_[group];
}

void Optimizer::check_grad(std::size_t index) const {
  const Parameter& parameter = *parameters_[index];
  if (parameter.grad.shape() != parameter.value.shape())
    throw ShapeError(name_ + ".step: parameter " + std::to_string(index) + " has value " +
                     shape_str(parameter.value.shape()) + " but gradient " +
                     shape_str(parameter.grad.shape()));
}

const Tensor& Optimizer::decayed_grad(std::size_t index, float weight_decay) {
  Parameter& parameter = *parameters_[index];
  if (weight_decay == 0.0f) return parameter.grad;
  Tensor& scratch = states_[index].scratch;
  if (scratch.shape() != parameter.value.shape()) scratch.resize(parameter.value.shape());
  xt::noalias(scratch) = parameter.grad + weight_decay * parameter.value;
  return scratch;
}

Tensor& Optimizer::buffer(std::size_t index, std::size_t slot, float fill) {
  Tensor& buffer = states_[index].buffers[slot];
  const auto& shape = parameters_[index]->value.shape();
  if (buffer.shape() != shape) {
    buffer.resize(shape);
    std::fill(buffer.begin(), buffer.end(), fill);
  }
  return buffer;
}

}  // namespace recur::optim
