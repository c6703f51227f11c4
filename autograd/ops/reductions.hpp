/// @file
/// Reductions: sums and means over all elements or along one axis.
#pragma once

#include "autograd/var.hpp"

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

}  // namespace recur
