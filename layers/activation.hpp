/// @file
/// Activation modules: ReLU, Tanh and Sigmoid as layers, for Sequential.
#pragma once

#include "layers/module.hpp"

namespace recur::nn {

/// max(x, 0) elementwise, torch.nn.ReLU.
/// @code
/// model.emplace<recur::nn::ReLU>();
/// @endcode
class ReLU : public UnaryModule {
 public:
  /// relu(x), any shape.
  Var forward(const Var& x) override;
};

/// tanh(x) elementwise, torch.nn.Tanh.
class Tanh : public UnaryModule {
 public:
  /// tanh(x), any shape.
  Var forward(const Var& x) override;
};

/// 1 / (1 + exp(-x)) elementwise, torch.nn.Sigmoid.
class Sigmoid : public UnaryModule {
 public:
  /// sigmoid(x), any shape.
  Var forward(const Var& x) override;
};

}  // namespace recur::nn
