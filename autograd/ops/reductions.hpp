/// @file
/// Reductions: sums and means over all elements or along one axis.
#pragma once

#include "autograd/var.hpp"

namespace recur {

/// The sum of every element, as a 0-d value.
Var sum(const Var& x);
/// The sum along `axis` (negative counts from the end); `keepdim` keeps it with extent 1.
Var sum(const Var& x, int axis, bool keepdim = false);
/// The mean of every element, as a 0-d value.
Var mean(const Var& x);
/// The mean along `axis`.
Var mean(const Var& x, int axis, bool keepdim = false);

}  // namespace recur
