/// @file
/// Neural-network ops: softmax, dropout, embedding lookup, masking.
#pragma once

#include "autograd/var.hpp"
#include "core/random.hpp"
#include "core/tensor.hpp"

namespace recur {

/// exp(x) / sum(exp(x)) along `axis`, computed stably (max subtracted).
/// @param x Any value. @param axis The axis normalised over; -1 is the last.
/// @throws recur::ShapeError for an axis out of range.
Var softmax(const Var& x, int axis = -1);
/// log(softmax(x)) along `axis`, computed stably.
/// @param x Any value. @param axis The axis normalised over; -1 is the last.
/// @throws recur::ShapeError for an axis out of range.
Var log_softmax(const Var& x, int axis = -1);
/// Inverted dropout: zeroes each element with probability `p` and scales the rest by 1/(1-p)
/// when `training`; the identity otherwise.
/// @param x Any value. @param p The probability of dropping an element, in [0, 1).
/// @param training Drop only when true (a layer passes Module::is_training()).
/// @param generator Where the mask comes from; the default generator unless given.
/// @throws recur::ValueError unless 0 <= p < 1.
Var dropout(const Var& x, float p, bool training, Generator& generator = default_generator());
/// Multiplies x by a constant `mask` (broadcast), e.g. a dropout mask fixed for a whole sequence.
/// @param x Any value. @param mask A constant that broadcasts against x; it gets no gradient.
/// @throws recur::ShapeError if the shapes do not broadcast.
Var mul_mask(const Var& x, const Tensor& mask);
/// Rows of `weight` [num, dim] picked by `indices` (any shape): the result is indices' shape
/// plus [dim]. Backward adds into the picked rows. Rows equal to `padding_index` (when >= 0)
/// get no gradient.
/// @param weight The table [num, dim]. @param indices Row numbers in [0, num), any shape.
/// @param padding_index A row that receives no gradient, or -1 for none.
/// @throws recur::ShapeError if weight is not 2-D.
/// @throws recur::ValueError naming the bad index and the table size, or a padding_index outside
///         the table.
Var embedding(const Var& weight, const IndexTensor& indices, std::int64_t padding_index = -1);
/// mask ? a : b elementwise, where `mask` is a constant tensor of 0s and 1s (nonzero counts as
/// 1) broadcast against a and b. Gradient flows to a where mask is 1, to b elsewhere.
/// a and b usually have the same shape; like torch.where, all three broadcast together, and a
/// gradient is summed over the axes its input was broadcast along.
/// Call it qualified, `recur::where(mask, a, b)`: the Tensor argument makes argument-dependent
/// lookup find xt::where too, which wins overload resolution for a non-const mask.
/// @param mask Constant 0s and 1s. @param a Taken where mask is 1. @param b Taken elsewhere.
/// @throws recur::ShapeError if the three shapes do not broadcast together.
Var where(const Tensor& mask, const Var& a, const Var& b);

}  // namespace recur
