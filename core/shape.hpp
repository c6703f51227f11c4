/// @file
/// Shapes and their text form for error messages.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <string>
#include <vector>

namespace recur {

/// A tensor's extent along each axis, outermost first.
using Shape = std::vector<std::size_t>;

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
