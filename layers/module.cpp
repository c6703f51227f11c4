#include "layers/module.hpp"

#include "core/error.hpp"

namespace recur::nn {

Module::Module(Module&& other) {
  // A child registered by reference is usually a member of `other`: moving would leave it, and
  // this module's pointer to it, behind in the moved-from object.
  for (const auto& [name, child] : other.children_) {
    bool owned = false;
    for (const auto& mine : other.owned_children_) owned = owned || mine.get() == child;
    if (!owned)
      throw ValueError("Module: cannot move a module whose child '" + name +
                       "' was registered by reference (a member); declare the child with "
                       "register_module(name, Layer(...)), which owns it, or build the module "
                       "where it is used");
  }
  parameters_ = std::move(other.parameters_);
  children_ = std::move(other.children_);
  owned_children_ = std::move(other.owned_children_);
  name_ = std::move(other.name_);
  training_ = other.training_;
  other.parameters_.clear();
  other.children_.clear();
  other.owned_children_.clear();
}

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

void Module::check_child_name(const std::string& name, const char* caller) const {
  // PyTorch refuses the same names: a dot would make the dotted parameter names ambiguous.
  if (name.empty()) throw ValueError(std::string(caller) + ": a child's name cannot be empty");
  if (name.find('.') != std::string::npos)
    throw ValueError(std::string(caller) + ": a child's name cannot contain '.', got '" + name +
                     "'");
  for (auto& [existing, module] : children_)
    if (existing == name)
      throw ValueError(std::string(caller) + ": '" + name + "' is already registered");
}

void Module::register_module(const std::string& name, Module& child) {
  check_child_name(name, "register_module");
  children_.emplace_back(name, &child);
  child.name_ = name;
}

void Module::adopt(const std::string& name, std::unique_ptr<Module> child) {
  if (!child) throw ValueError("register_module: the module '" + name + "' is null");
  check_child_name(name, "register_module");
  // The child follows this module's mode, as it would after a train()/eval() call.
  if (child->is_training() != training_) child->train(training_);
  child->name_ = name;
  children_.emplace_back(name, child.get());
  owned_children_.push_back(std::move(child));
}

}  // namespace recur::nn
