/// @file
/// Indexing ops: masked_fill, gather and index_select, with their gradients.
/// @code
/// recur::Var scores = recur::masked_fill(recur::matmul(q, k, false, true), causal_mask,
///                                        -std::numeric_limits<float>::infinity());
/// recur::Var picked = recur::gather(log_probs, 1, targets);   // [N, C] at [N, 1] -> [N, 1]
/// @endcode
#pragma once

#include "autograd/var.hpp"
#include "core/tensor.hpp"

namespace recur {

/// x with `value` wherever `mask` is nonzero, as torch.Tensor.masked_fill: the mask of an
/// attention score matrix. The gradient flows to x where the mask is zero.
/// @param x Any value.
/// @param mask 0s and 1s (any nonzero counts as 1) whose shape broadcasts to x's, e.g. a [T, S]
///        causal mask against scores [B, heads, T, S]; a constant, it gets no gradient.
/// @param value The fill, e.g. `-infinity` before a softmax.
/// @return x's shape.
/// @throws recur::ShapeError naming both shapes when the mask does not broadcast to x's shape.
Var masked_fill(const Var& x, const Tensor& mask, float value);

/// masked_fill() with a boolean mask (true is filled).
/// @param x Any value. @param mask Broadcasts to x's shape. @param value The fill.
/// @throws recur::ShapeError naming both shapes when the mask does not broadcast to x's shape.
Var masked_fill(const Var& x, const xt::xarray<bool>& mask, float value);

/// Values of x picked along `axis` by `index`, as torch.gather: for a 3-D x and axis 1,
/// `y[i][j][k] = x[i][index[i][j][k]][k]`. The gradient adds each picked element's gradient
/// back at the position it came from (positions picked twice receive both).
/// @param x Any value of rank >= 1. @param axis The axis indexed; negative counts from the end.
/// @param index Positions along axis, of x's rank, each other extent at most x's.
/// @return index's shape.
/// @throws recur::ShapeError when index's rank differs from x's, or an extent other than axis's
///         exceeds x's (naming both shapes); recur::ValueError naming the op, the bad index, its
///         position and the extent, for an index outside [0, extent).
Var gather(const Var& x, int axis, const IndexTensor& index);

/// The slices of x along `axis` at the positions `index` lists, in that order, as
/// torch.index_select: `index_select(x [T, B, H], 0, {2, 0})` is [2, B, H]. The gradient adds
/// each slice's gradient back where it came from.
/// @param x Any value of rank >= 1. @param axis The axis indexed; negative counts from the end.
/// @param index A 1-D list of positions (may repeat), each in [0, extent).
/// @return x's shape with the axis's extent replaced by index's length.
/// @throws recur::ShapeError when index is not 1-D or the axis is out of range;
///         recur::ValueError naming the op, the bad index, its position and the extent.
Var index_select(const Var& x, int axis, const IndexTensor& index);

}  // namespace recur
