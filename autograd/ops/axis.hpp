/// @file
/// Axis arguments: negative values count from the end, as in NumPy and PyTorch.
#pragma once

#include <cstddef>

namespace recur {

/// Turns `axis` (which may be negative, -1 being the last) into an index in [0, rank);
/// throws recur::ShapeError naming `op` when it is out of range.
std::size_t normalize_axis(const char* op, int axis, std::size_t rank);

}  // namespace recur
