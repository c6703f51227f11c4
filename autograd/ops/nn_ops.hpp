/// @file
/// Neural-network ops: softmax, dropout, embedding lookup, masking.
#pragma once

#include "autograd/var.hpp"
#include "core/random.hpp"
#include "core/tensor.hpp"

namespace recur {

/// exp(x) / sum(exp(x)) along `axis`, computed stably (max subtracted).
Var softmax(const Var& x, int axis = -1);
/// log(softmax(x)) along `axis`, computed stably.
Var log_softmax(const Var& x, int axis = -1);
/// Inverted dropout: zeroes each element with probability `p` and scales the rest by 1/(1-p)
/// when `training`; the identity otherwise. Throws recur::ValueError unless 0 <= p < 1.
Var dropout(const Var& x, float p, bool training, Generator& generator = default_generator());
/// Multiplies x by a constant `mask` (broadcast), e.g. a dropout mask fixed for a whole sequence.
Var mul_mask(const Var& x, const Tensor& mask);
/// Rows of `weight` [num, dim] picked by `indices` (any shape): the result is indices' shape
/// plus [dim]. Backward adds into the picked rows. Rows equal to `padding_index` (when >= 0)
/// get no gradient. Throws recur::ValueError naming the bad index and the table size.
Var embedding(const Var& weight, const IndexTensor& indices, std::int64_t padding_index = -1);
/// mask ? a : b elementwise, where `mask` is a constant tensor of 0s and 1s (nonzero counts as
/// 1) broadcast against a and b. Gradient flows to a where mask is 1, to b elsewhere.
/// a and b usually have the same shape; like torch.where, all three broadcast together, and a
/// gradient is summed over the axes its input was broadcast along.
/// Call it qualified, `recur::where(mask, a, b)`: the Tensor argument makes argument-dependent
/// lookup find xt::where too, which wins overload resolution for a non-const mask.
Var where(const Tensor& mask, const Var& a, const Var& b);

}  // namespace recur
