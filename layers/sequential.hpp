/// @file
/// Sequential: a chain of one-input layers, torch.nn.Sequential.
#pragma once

#include <cstddef>
#include <memory>
#include <utility>
#include <vector>

#include "layers/module.hpp"

namespace recur::nn {

/// Owns UnaryModules and applies them in order; the children are named "0", "1", ... as in
/// PyTorch, so their parameters are `0.weight`, `2.bias` and so on.
/// @code
/// recur::nn::Sequential mlp;
/// mlp.emplace<recur::nn::Linear>(recur::nn::LinearOptions{.in_features = 4, .out_features = 16});
/// mlp.emplace<recur::nn::Tanh>();
/// mlp.emplace<recur::nn::Linear>(recur::nn::LinearOptions{.in_features = 16, .out_features = 1});
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
  std::vector<std::unique_ptr<UnaryModule>> modules_;
};

}  // namespace recur::nn
