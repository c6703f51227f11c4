/// @file
/// Loss functions, as ops with fused backward rules.
#pragma once

#include <cstdint>

#include "autograd/var.hpp"
#include "core/tensor.hpp"

namespace recur {

/// How a loss combines its per-element terms, as in torch.nn.
enum class Reduction {
  mean,  ///< The mean of the terms (over non-ignored targets for cross-entropy): a scalar.
  sum,   ///< The sum of the terms: a scalar.
  none,  ///< Every term, in the shape of the targets.
};

/// Cross-entropy of `logits` [N, C] against class indices `targets` [N], fused log-softmax and
/// negative log-likelihood (stable, and its gradient is softmax - onehot). Targets equal to
/// `ignore_index` contribute nothing, and the mean is over the others (PyTorch's rule); if every
/// target is ignored the mean is NaN (0/0) and the gradient zero, as in PyTorch. With
/// Reduction::none the result is [N], 0 at ignored rows.
/// Throws recur::ShapeError unless logits are [N, C] and targets [N], and recur::ValueError for
/// a target outside [0, C) that is not ignore_index.
Var cross_entropy(const Var& logits, const IndexTensor& targets,
                  std::int64_t ignore_index = -100, Reduction reduction = Reduction::mean);

/// Mean squared error between `input` and `target`, which must have the same shape (no
/// broadcasting; recur::ShapeError names both shapes). Reduction::none keeps the input's shape.
Var mse_loss(const Var& input, const Var& target, Reduction reduction = Reduction::mean);

}  // namespace recur
