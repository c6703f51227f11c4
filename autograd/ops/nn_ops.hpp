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
/// mask ? a : b elementwise, where `mask` is a constant tensor of 0s and 1s broadcast against
/// a and b (which must have the same shape). Gradient flows to a where mask is 1, to b elsewhere.
Var where(const Tensor& mask, const Var& a, const Var& b);

}  // namespace recur
