/// @file
/// Module: the base of every layer and model; owns named parameters and named child modules.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "autograd/anomaly.hpp"
#include "autograd/parameter.hpp"
#include "autograd/var.hpp"

namespace recur::nn {

/// A layer or a model: named parameters plus named child modules, with PyTorch's names.
///
/// Subclasses register their parameters and children in the constructor; named_parameters()
/// then yields the dotted names torch.nn would give (`encoder.weight_ih_l0`). Modules are neither
/// copyable nor movable (the tape and optimisers refer to their parameters); hold a model by
/// value where it is built, or in a std::unique_ptr.
/// @code
/// struct Model : recur::nn::Module {
///   recur::nn::Linear head{{.in_features = 8, .out_features = 2}};
///   Model() { register_module("head", head); }
/// };
/// Model model;
/// for (auto& [name, parameter] : model.named_parameters()) std::cout << name << "\n";
/// @endcode
class Module {
 public:
  Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;
  virtual ~Module() = default;

  /// Every parameter of this module and its descendants, with dotted names, in registration
  /// order (a module's own parameters first, then each child's).
  std::vector<std::pair<std::string, Parameter*>> named_parameters();
  /// The parameters alone, in the order of named_parameters().
  std::vector<Parameter*> parameters();
  /// The parameter with this dotted name (`0.weight`, `encoder.bias_ih_l0`), or nullptr when
  /// there is none.
  /// @param name A name as named_parameters() gives it.
  Parameter* find_parameter(const std::string& name);
  /// The direct children with their names.
  const std::vector<std::pair<std::string, Module*>>& named_children() const { return children_; }
  /// The name this module was registered under in its parent (`encoder`); empty for a model that
  /// is nobody's child. In anomaly mode, errors name where an op ran by the path of these names.
  const std::string& name() const { return name_; }
  /// The total number of scalar parameters.
  std::size_t num_parameters();

  /// Switches this module and all descendants to training mode (dropout active) or not.
  /// @param on True for training, false for evaluation.
  void train(bool on = true);
  /// Switches to evaluation mode: train(false).
  void eval() { train(false); }
  /// True in training mode (the default).
  bool is_training() const { return training_; }
  /// Sets every parameter's gradient to zero.
  void zero_grad();

 protected:
  /// Adds a parameter named `name` holding `initial`; the reference stays valid for the
  /// module's lifetime.
  /// @param name The name, as PyTorch would give the attribute (`weight`, `bias_ih_l0`).
  /// @param initial Its initial value; the gradient starts as zeros of the same shape.
  /// @throws recur::ValueError for a name already used in this module.
  Parameter& register_parameter(const std::string& name, Tensor initial);
  /// Adds `child` (which must outlive this module, usually a member) under `name`.
  /// @param name The child's name, the prefix of its parameters' names (`lstm.`).
  /// @param child The module, usually a member of this one.
  /// @throws recur::ValueError for a name already used in this module.
  void register_module(const std::string& name, Module& child);
  /// Called after train()/eval() changed the mode; layers with mode-dependent state override it.
  virtual void on_mode_change() {}

 private:
  void collect(const std::string& prefix, std::vector<std::pair<std::string, Parameter*>>& out);

  std::vector<std::pair<std::string, std::unique_ptr<Parameter>>> parameters_;
  std::vector<std::pair<std::string, Module*>> children_;
  std::string name_;
  bool training_ = true;
};

/// A module with one input and one output, which Sequential can chain.
class UnaryModule : public Module {
 public:
  /// Computes the module's output for `x`.
  virtual Var forward(const Var& x) = 0;
  /// forward(x), inside this module's ModuleScope (so anomaly errors can name it).
  Var operator()(const Var& x) {
    ModuleScope scope(name());
    return forward(x);
  }
};

}  // namespace recur::nn
