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

/// Binary cross-entropy on logits, as torch.nn.functional.binary_cross_entropy_with_logits: per
/// element -[p t log sigmoid(x) + (1 - t) log(1 - sigmoid(x))], computed in the stable form
/// (1 - t) x + (1 + (p - 1) t) (log1p(exp(-|x|)) + max(-x, 0)), which is finite for any logit.
/// @param input Logits, any shape.
/// @param target Targets in [0, 1], the input's shape (a Var, so it may receive a gradient too).
/// @param reduction Mean over every element (a scalar), sum (a scalar) or none (input's shape).
/// @param pos_weight The weight p of positive examples, broadcasting to the input (one per
///        class, [C], against [N, C]), or an empty Var for p = 1. It receives a gradient
///        (torch refuses to compute one for it).
/// @throws recur::ShapeError naming the shapes when target's differs from input's or pos_weight
///         does not broadcast to it.
/// @code
/// recur::Var loss = recur::binary_cross_entropy_with_logits(logits, labels);   // [B, C]
/// @endcode
Var binary_cross_entropy_with_logits(const Var& input, const Var& target,
                                     Reduction reduction = Reduction::mean,
                                     const Var& pos_weight = Var());

/// Negative log-likelihood of log-probabilities `log_probs` [N, C] (a log_softmax's output) at
/// class indices `targets` [N], as torch.nn.functional.nll_loss: -log_probs[n, targets[n]].
/// Targets equal to `ignore_index` contribute nothing and the mean is over the others, as in
/// cross_entropy() (all ignored: NaN, with a zero gradient); Reduction::none gives [N], 0 at
/// ignored rows.
/// @param log_probs [N, C]. @param targets Class indices [N], each in [0, C) or ignore_index.
/// @param ignore_index A target value that is skipped (PyTorch's default, -100).
/// @param reduction Mean (a scalar), sum (a scalar) or none ([N]).
/// @throws recur::ShapeError unless log_probs are [N, C] and targets [N].
/// @throws recur::ValueError for a target outside [0, C) that is not ignore_index, naming it and
///         its row.
Var nll_loss(const Var& log_probs, const IndexTensor& targets, std::int64_t ignore_index = -100,
             Reduction reduction = Reduction::mean);

/// The Huber loss, as torch.nn.functional.huber_loss: per element, with d = input - target,
/// d^2 / 2 where |d| < delta and delta (|d| - delta / 2) elsewhere (quadratic near 0, linear
/// beyond delta, so outliers pull with at most delta).
/// @param input The prediction. @param target The wanted values, the same shape.
/// @param reduction Mean (a scalar), sum (a scalar) or none (the input's shape).
/// @param delta Where the loss turns linear; must be positive.
/// @throws recur::ShapeError naming both shapes when they differ.
/// @throws recur::ValueError when delta is not positive.
Var huber_loss(const Var& input, const Var& target, Reduction reduction = Reduction::mean,
               float delta = 1.0f);

}  // namespace recur
