/// @file
/// Sequential: a chain of one-input layers, torch.nn.Sequential.
#pragma once

#include <concepts>
#include <cstddef>
#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

#include "layers/module.hpp"

namespace recur::nn {

/// Owns UnaryModules and applies them in order; the children are named "0", "1", ... as in
/// PyTorch, so their parameters are `0.weight`, `2.bias` and so on.
/// @code
/// recur::nn::Sequential mlp;
/// mlp.push_back(recur::nn::Linear({.in_features = 4, .out_features = 16}));
/// mlp.push_back(recur::nn::Tanh());
/// mlp.push_back(recur::nn::Linear({.in_features = 16, .out_features = 1}));
/// recur::Var y = mlp(x);   // [B, 4] -> [B, 1]
/// @endcode
class Sequential : public UnaryModule {
 public:
  Sequential() = default;
  /// A chain of the given modules, in order.
  explicit Sequential(std::vector<std::unique_ptr<UnaryModule>> modules);

  /// Appends `module` (named by its position) and returns it.
  /// @throws recur::ValueError for null.
  UnaryModule& push_back(std::unique_ptr<UnaryModule> module);
  /// Appends a module built in place (`nn::Linear({...})`) or std::move()d, and returns it.
  template <class M>
    requires std::derived_from<std::remove_cvref_t<M>, UnaryModule> &&
             (!std::is_lvalue_reference_v<M>)
  std::remove_cvref_t<M>& push_back(M&& module) {
    auto owned = std::make_unique<std::remove_cvref_t<M>>(std::move(module));
    auto& added = *owned;
    push_back(std::unique_ptr<UnaryModule>(std::move(owned)));
    return added;
  }
  /// Builds a module of type M in place at the end and returns it.
  template <class M, class... Args>
  M& emplace(Args&&... args) {
    auto module = std::make_unique<M>(std::forward<Args>(args)...);
    M& added = *module;
    push_back(std::move(module));
    return added;
  }

  /// Applies each module in turn; the identity when empty.
  Var forward(const Var& x) override;

  /// Number of modules.
  std::size_t size() const { return modules_.size(); }
  /// Module `index`.
  /// @throws recur::ValueError when out of range.
  UnaryModule& operator[](std::size_t index);

 private:
  std::vector<UnaryModule*> modules_;  // in order; owned as children (register_module)
};

}  // namespace recur::nn
