/// @file
/// Identity: a layer that returns its input, torch.nn.Identity.
#pragma once

#include "layers/module.hpp"

namespace recur::nn {

/// Returns its input unchanged: a placeholder where a layer is optional (a projection that some
/// configurations skip), so the model's code stays the same either way.
/// @code
/// std::unique_ptr<recur::nn::UnaryModule> projection;
/// if (in == out) projection = std::make_unique<recur::nn::Identity>();
/// else projection = std::make_unique<recur::nn::Linear>(recur::nn::LinearOptions{in, out});
/// @endcode
class Identity : public UnaryModule {
 public:
  /// x itself, any shape.
  Var forward(const Var& x) override { return x; }
};

}  // namespace recur::nn
