#include "layers/module.hpp"

#include "core/error.hpp"

namespace recur::nn {

std::vector<std::pair<std::string, Parameter*>> Module::named_parameters() {
  std::vector<std::pair<std::string, Parameter*>> out;
  collect("", out);
  return out;
}

void Module::collect(const std::string& prefix,
                     std::vector<std::pair<std::string, Parameter*>>& out) {
  for (auto& [name, parameter] : parameters_) out.emplace_back(prefix + name, parameter.get());
  for (auto& [name, child] : children_) child->collect(prefix + name + ".", out);
}

std::vector<Parameter*> Module::parameters() {
  std::vector<Parameter*> out;
  for (auto& [name, parameter] : named_parameters()) out.push_back(parameter);
  return out;
}

Parameter* Module::find_parameter(const std::string& name) {
  for (auto& [existing, parameter] : named_parameters())
    if (existing == name) return parameter;
  return nullptr;
}

std::size_t Module::num_parameters() {
  std::size_t count = 0;
  for (Parameter* parameter : parameters()) count += parameter->value.size();
  return count;
}

void Module::train(bool on) {
  training_ = on;
  for (auto& [name, child] : children_) child->train(on);
  on_mode_change();
}

void Module::zero_grad() {
  for (Parameter* parameter : parameters()) parameter->zero_grad();
}

Parameter& Module::register_parameter(const std::string& name, Tensor initial) {
  for (auto& [existing, parameter] : parameters_)
    if (existing == name) throw ValueError("register_parameter: '" + name + "' is already registered");
  parameters_.emplace_back(name, std::make_unique<Parameter>(std::move(initial)));
  return *parameters_.back().second;
}

void Module::register_module(const std::string& name, Module& child) {
  for (auto& [existing, module] : children_)
    if (existing == name) throw ValueError("register_module: '" + name + "' is already registered");
  children_.emplace_back(name, &child);
  child.name_ = name;
}

}  // namespace recur::nn
