/// @file
/// Module: the base of every layer and model; owns named parameters and named child modules.
#pragma once

#include <concepts>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "autograd/anomaly.hpp"
#include "autograd/parameter.hpp"
#include "autograd/var.hpp"

namespace recur::nn {

/// A layer or a model: named parameters plus named child modules, with PyTorch's names.
///
/// A model declares each child once, where it is built: register_module() takes the new layer,
/// owns it, names it and returns a reference to it, so a child cannot be declared and then
/// left unregistered (which would drop its parameters from the optimiser and the saved file
/// without a word). named_parameters() then yields the dotted names torch.nn would give
/// (`lstm.weight_ih_l0`).
/// @code
/// struct Model : recur::nn::Module {
///   recur::nn::LSTM& lstm =
///       register_module("lstm", recur::nn::LSTM({.input_size = 4, .hidden_size = 8}));
///   recur::nn::Linear& head =
///       register_module("head", recur::nn::Linear({.in_features = 8, .out_features = 2}));
/// };
/// Model model;
/// for (auto& [name, parameter] : model.named_parameters()) std::cout << name << "\n";
/// @endcode
/// Given a module by reference (a member), register_module() registers it without owning it,
/// as before.
///
/// Modules are not copyable. A module can be moved (which is how register_module() takes a
/// freshly built layer) as long as it owns every child it has; parameters live on the heap, so
/// the tape, optimisers and references returned by register_module() stay valid across the
/// move. A module that keeps pointers into its own members must not be moved: delete its move
/// constructor.
class Module {
 public:
  Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;
  /// Takes over `other`'s parameters and children (both stay where they are in memory).
  /// @throws recur::ValueError if `other` has a child registered by reference (a member): that
  ///         child lives inside `other` and would be left behind.
  Module(Module&& other);
  Module& operator=(Module&&) = delete;
  virtual ~Module() = default;

  /// Makes `module` a child named `name`, owned by this module, and returns it: the natural way
  /// to declare a layer of a model, as libtorch's `register_module` returns its holder (see the
  /// class example). The child takes this module's training mode.
  /// @param name The child's name, the prefix of its parameters' names (`lstm.`); not empty,
  ///        no dot.
  /// @param module A module built in place (`nn::Linear({...})`) or std::move()d.
  /// @return The child, which lives (at a fixed address) as long as this module.
  /// @throws recur::ValueError for a name already used in this module, empty or with a dot,
  ///         or (from the move) a module with children registered by reference.
  template <class M>
    requires std::derived_from<std::remove_cvref_t<M>, Module> &&
             (!std::is_lvalue_reference_v<M>)
  std::remove_cvref_t<M>& register_module(const std::string& name, M&& module) {
    using Child = std::remove_cvref_t<M>;
    auto owned = std::make_unique<Child>(std::move(module));
    Child& child = *owned;
    adopt(name, std::move(owned));
    return child;
  }
  /// The same for a module already on the heap (a layer chosen at run time, a polymorphic one).
  /// @throws recur::ValueError as above, or for null.
  template <class M>
    requires std::derived_from<M, Module>
  M& register_module(const std::string& name, std::unique_ptr<M> module) {
    M* child = module.get();
    adopt(name, std::unique_ptr<Module>(std::move(module)));
    return *child;
  }
  /// Registers `child`, which lives elsewhere and must outlive this module (usually a member),
  /// under `name`, without owning it. Prefer the owning form above: a member registered here is
  /// declared twice, and forgetting this call leaves its parameters out without a word.
  /// @param name The child's name, the prefix of its parameters' names (`lstm.`).
  /// @param child The module, usually a member of this one.
  /// @throws recur::ValueError for a name already used in this module, empty or with a dot.
  void register_module(const std::string& name, Module& child);

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
  /// Called after train()/eval() changed the mode; layers with mode-dependent state override it.
  virtual void on_mode_change() {}

 private:
  void collect(const std::string& prefix, std::vector<std::pair<std::string, Parameter*>>& out);
  void adopt(const std::string& name, std::unique_ptr<Module> child);
  void check_child_name(const std::string& name, const char* caller) const;

  std::vector<std::pair<std::string, std::unique_ptr<Parameter>>> parameters_;
  std::vector<std::pair<std::string, Module*>> children_;  // in registration order
  std::vector<std::unique_ptr<Module>> owned_children_;    // those given by value
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
