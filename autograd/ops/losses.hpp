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
/// @param logits Unnormalised scores [N, C].
/// @param targets Class indices [N], each in [0, C) or equal to ignore_index.
/// @param ignore_index A target value that is skipped (PyTorch's default, -100).
/// @param reduction Mean (a scalar), sum (a scalar) or none ([N]).
/// @throws recur::ShapeError unless logits are [N, C] and targets [N].
/// @throws recur::ValueError for a target outside [0, C) that is not ignore_index, naming it and
///         its row.
/// @code
/// recur::Var loss = recur::cross_entropy(logits, labels);   // logits [B, V], labels [B]
/// @endcode
Var cross_entropy(const Var& logits, const IndexTensor& targets,
                  std::int64_t ignore_index = -100, Reduction reduction = Reduction::mean);

/// Mean squared error between `input` and `target`, which must have the same shape (no
/// broadcasting). Reduction::none keeps the input's shape.
/// @param input The prediction. @param target The wanted values, same shape.
/// @param reduction Mean (a scalar), sum (a scalar) or none (the input's shape).
/// @throws recur::ShapeError naming both shapes when they differ.
Var mse_loss(const Var& input, const Var& target, Reduction reduction = Reduction::mean);

}  // namespace recur
