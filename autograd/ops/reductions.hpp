/// @file
/// Reductions: sums, means, variances, norms, maxima and minima (with their positions) and
/// logsumexp, over all elements or along one axis, with torch's names and `keepdim`.
/// @code
/// recur::Var peak = recur::max(scores, -1);                 // [B, T] -> [B]
/// recur::IndexTensor best = recur::argmax(logits.value(), -1);
/// recur::Var spread = recur::var(x, 0, /*unbiased=*/false);
/// @endcode
#pragma once

#include <limits>

#include "autograd/var.hpp"
#include "core/tensor.hpp"

namespace recur {

/// The sum of every element, as a 0-d value.
/// @param x Any value.
Var sum(const Var& x);
/// The sum along one axis.
/// @param x Any value. @param axis The axis summed over; negative counts from the end.
/// @param keepdim Keep the axis with extent 1 instead of removing it.
/// @throws recur::ShapeError for an axis out of range.
Var sum(const Var& x, int axis, bool keepdim = false);
/// The mean of every element, as a 0-d value.
/// @param x Any value.
Var mean(const Var& x);
/// The mean along one axis.
/// @param x Any value. @param axis The axis averaged over; negative counts from the end.
/// @param keepdim Keep the axis with extent 1 instead of removing it.
/// @throws recur::ShapeError for an axis out of range.
Var mean(const Var& x, int axis, bool keepdim = false);

/// The variance of every element, as a 0-d value, as torch.var(x, unbiased).
/// @param x Any value.
/// @param unbiased Divide by count - 1 (Bessel's correction, torch's `correction=1`, the
///        default) or by count (`correction=0`). A count not above the correction gives inf or
///        NaN, as in torch.
Var var(const Var& x, bool unbiased = true);
/// The variance along one axis, as torch.var(x, axis, unbiased, keepdim).
/// @param x Any value. @param axis The axis; negative counts from the end.
/// @param unbiased Divide by count - 1 (torch's default) or by count.
/// @param keepdim Keep the axis with extent 1.
/// @throws recur::ShapeError for an axis out of range.
Var var(const Var& x, int axis, bool unbiased = true, bool keepdim = false);

/// The vector p-norm of all elements, as a 0-d value, as torch.linalg.vector_norm: p = 1 (sum of
/// |x|), 2 (Euclidean; the default) or infinity (max |x|). The 2-norm's gradient at 0 is 0, and
/// the infinity norm's is shared equally among the elements that reach it (torch's rules).
/// @param x Any value.
/// @param p 1, 2 or `std::numeric_limits<float>::infinity()`.
/// @throws recur::ValueError for any other p.
Var norm(const Var& x, float p = 2.0f);
/// The vector p-norm along one axis, as torch.norm(x, p, axis, keepdim).
/// @param x Any value. @param p 1, 2 or infinity. @param axis The axis; negative counts from the
///        end. @param keepdim Keep the axis with extent 1.
/// @throws recur::ValueError for another p; recur::ShapeError for an axis out of range.
Var norm(const Var& x, float p, int axis, bool keepdim = false);

/// The largest element along an axis, as the values of torch.max(x, axis, keepdim). The
/// gradient goes to the first largest element of each lane, as torch's does (the one argmax
/// names); NaN counts as largest and propagates.
/// @param x Any value. @param axis The axis; negative counts from the end.
/// @param keepdim Keep the axis with extent 1.
/// @throws recur::ShapeError for an axis out of range or of extent 0.
Var max(const Var& x, int axis, bool keepdim = false);
/// The smallest element along an axis, as torch.min(x, axis, keepdim).values; the gradient goes
/// to the first smallest element.
/// @param x Any value. @param axis The axis. @param keepdim Keep the axis with extent 1.
/// @throws recur::ShapeError for an axis out of range or of extent 0.
Var min(const Var& x, int axis, bool keepdim = false);
/// The largest element of x, as a 0-d value, as torch.max(x): the gradient is shared equally
/// among the elements equal to it (torch's rule for the full reduction).
/// @param x A value with at least one element.
/// @throws recur::ShapeError for an empty x.
Var max(const Var& x);
/// The smallest element of x, as a 0-d value; ties share the gradient as in max().
/// @param x A value with at least one element.
/// @throws recur::ShapeError for an empty x.
Var min(const Var& x);

/// The position of the first largest element along an axis, as torch.argmax(x, axis, keepdim)
/// (NaN counts as largest). Not differentiable, so it takes a plain tensor.
/// @param x Any tensor. @param axis The axis; negative counts from the end.
/// @param keepdim Keep the axis with extent 1.
/// @return Positions in [0, extent), in the reduced shape.
/// @throws recur::ShapeError for an axis out of range or of extent 0.
IndexTensor argmax(const Tensor& x, int axis, bool keepdim = false);
/// The position of the first smallest element along an axis, as torch.argmin.
/// @param x Any tensor. @param axis The axis. @param keepdim Keep the axis with extent 1.
/// @throws recur::ShapeError for an axis out of range or of extent 0.
IndexTensor argmin(const Tensor& x, int axis, bool keepdim = false);
/// argmax() of a Var's value.
/// @param x Any value. @param axis The axis. @param keepdim Keep the axis with extent 1.
/// @throws recur::ShapeError for an axis out of range or of extent 0.
IndexTensor argmax(const Var& x, int axis, bool keepdim = false);
/// argmin() of a Var's value.
/// @param x Any value. @param axis The axis. @param keepdim Keep the axis with extent 1.
/// @throws recur::ShapeError for an axis out of range or of extent 0.
IndexTensor argmin(const Var& x, int axis, bool keepdim = false);

/// log(sum(exp(x))) along an axis, computed stably (the lane's maximum taken out first), as
/// torch.logsumexp: a lane of -inf gives -inf, one holding +inf gives +inf. The gradient is the
/// softmax of the lane.
/// @param x Any value. @param axis The axis; negative counts from the end.
/// @param keepdim Keep the axis with extent 1.
/// @throws recur::ShapeError for an axis out of range.
Var logsumexp(const Var& x, int axis, bool keepdim = false);

}  // namespace recur
