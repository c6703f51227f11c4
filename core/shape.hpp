/// @file
/// Shapes and their text form for error messages.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <string>
#include <vector>

#include <xtensor/xstorage.hpp>

namespace recur {

/// A tensor's extent along each axis, outermost first.
///
/// The same small vector xtensor keeps a tensor's shape in: up to 4 extents live inline, so the
/// shapes an op builds on every call (`rec.output(Shape{batch, hidden})`, `reshape(x, {T * B, H})`)
/// cost no heap allocation, and a tensor's own shape converts to it without one. It converts
/// from and compares with `std::vector<std::size_t>` too.
using Shape = xt::svector<std::size_t, 4>;

/// Formats a shape as `[32, 64]`; works for any range of integers (xtensor's shapes too).
template <class Range>
std::string shape_str(const Range& shape) {
  std::string text = "[";
  bool first = true;
  for (auto extent : shape) {
    if (!first) text += ", ";
    text += std::to_string(extent);
    first = false;
  }
  return text + "]";
}

/// Number of elements in a tensor of this shape (1 for a scalar's empty shape).
template <class Range>
std::size_t shape_numel(const Range& shape) {
  std::size_t count = 1;
  for (auto extent : shape) count *= static_cast<std::size_t>(extent);
  return count;
}

}  // namespace recur
