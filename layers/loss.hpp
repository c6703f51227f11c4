/// @file
/// Loss modules: CrossEntropyLoss and MSELoss, the torch.nn classes over the fused loss ops.
#pragma once

#include <cstdint>

#include "autograd/ops/losses.hpp"
#include "core/tensor.hpp"
#include "layers/module.hpp"

namespace recur::nn {

/// Options of CrossEntropyLoss.
struct CrossEntropyLossOptions {
  std::int64_t ignore_index = -100;        ///< Targets equal to this contribute nothing.
  Reduction reduction = Reduction::mean;   ///< mean (over non-ignored targets), sum or none.
};

/// Cross-entropy of logits [N, C] against class indices [N], torch.nn.CrossEntropyLoss: a
/// fused log-softmax and negative log-likelihood.
/// @code
/// recur::nn::CrossEntropyLoss criterion({.ignore_index = 0});
/// recur::Var loss = criterion(logits, targets);
/// @endcode
class CrossEntropyLoss : public Module {
 public:
  /// A loss with these options.
  explicit CrossEntropyLoss(const CrossEntropyLossOptions& options = {}) : options_(options) {}
  /// logits [N, C], targets [N] in [0, C) or ignore_index -> a scalar (or [N] with
  /// Reduction::none).
  /// @throws recur::ValueError for a target out of range.
  Var forward(const Var& logits, const IndexTensor& targets);
  /// forward(logits, targets).
  Var operator()(const Var& logits, const IndexTensor& targets) { return forward(logits, targets); }
  /// The options.
  const CrossEntropyLossOptions& options() const { return options_; }

 private:
  CrossEntropyLossOptions options_;
};

/// Options of MSELoss.
struct MSELossOptions {
  Reduction reduction = Reduction::mean;  ///< mean, sum or none.
};

/// The squared error (input - target)^2, averaged by default, torch.nn.MSELoss.
/// @code
/// recur::nn::MSELoss criterion;
/// recur::Var loss = criterion(prediction, tape.input(target));
/// @endcode
class MSELoss : public Module {
 public:
  /// A loss with these options.
  explicit MSELoss(const MSELossOptions& options = {}) : options_(options) {}
  /// input and target of the same shape -> a scalar (or the elementwise terms with
  /// Reduction::none).
  /// @throws recur::ShapeError when the shapes differ.
  Var forward(const Var& input, const Var& target);
  /// forward(input, target).
  Var operator()(const Var& input, const Var& target) { return forward(input, target); }
  /// The options.
  const MSELossOptions& options() const { return options_; }

 private:
  MSELossOptions options_;
};

}  // namespace recur::nn
