/// @file
/// Shape and indexing ops: reshape, transpose, concat, split, chunk, slice, select, stack, detach.
#pragma once

#include <initializer_list>
#include <span>
#include <vector>

#include "autograd/var.hpp"
#include "core/shape.hpp"

namespace recur {

/// The same elements in a new shape with the same number of elements.
Var reshape(const Var& x, const Shape& shape);
/// Swaps two axes (the result is a contiguous copy).
Var transpose(const Var& x, int axis0, int axis1);
/// Joins values along an existing axis; all other extents must agree.
Var concat(std::span<const Var> xs, int axis);
/// concat() for a braced list: `concat({a, b}, 1)`.
Var concat(std::initializer_list<Var> xs, int axis);
/// Joins values along a new axis inserted at `axis`; all shapes must be equal.
Var stack(std::span<const Var> xs, int axis);
/// stack() for a braced list.
Var stack(std::initializer_list<Var> xs, int axis);
/// Cuts `x` along `axis` into pieces of the given sizes, which must add up to the extent.
std::vector<Var> split(const Var& x, std::span<const std::size_t> sizes, int axis);
/// Cuts `x` along `axis` into `chunks` equal pieces (the extent must divide evenly), like the
/// LSTM's split of its gate pre-activations into i, f, g, o.
std::vector<Var> chunk(const Var& x, std::size_t chunks, int axis);
/// Elements [start, end) along `axis`.
Var slice(const Var& x, int axis, std::size_t start, std::size_t end);
/// Element `index` along `axis`, which is removed: select(x [T, B, H], 0, t) is [B, H].
Var select(const Var& x, int axis, std::size_t index);
/// A copy of x's value that no gradient flows through: the state carried from one chunk of a
/// stream to the next in truncated backpropagation through time.
Var detach(const Var& x);

}  // namespace recur
