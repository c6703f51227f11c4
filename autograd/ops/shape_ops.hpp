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
/// @param x Any value. @param shape The new shape, in row-major order.
/// @throws recur::ShapeError if the element counts differ.
Var reshape(const Var& x, const Shape& shape);
/// Swaps two axes (the result is a contiguous copy).
/// @param x Any value. @param axis0, axis1 The axes to swap; negative counts from the end.
/// @throws recur::ShapeError for an axis out of range.
Var transpose(const Var& x, int axis0, int axis1);
/// Joins values along an existing axis; all other extents must agree.
/// @param xs One or more values on the same tape. @param axis The axis to join along.
/// @throws recur::ValueError for an empty list; recur::ShapeError naming the first input whose
///         other extents differ, or an axis out of range.
Var concat(std::span<const Var> xs, int axis);
/// concat() for a braced list: `concat({a, b}, 1)`.
/// @param xs One or more values on the same tape. @param axis The axis to join along.
/// @throws recur::ValueError, recur::ShapeError as concat(std::span<const Var>, int).
Var concat(std::initializer_list<Var> xs, int axis);
/// Joins values along a new axis inserted at `axis`; all shapes must be equal.
/// @param xs One or more values of one shape. @param axis Where the new axis goes, in [0, rank].
/// @throws recur::ValueError for an empty list; recur::ShapeError naming the first input whose
///         shape differs.
Var stack(std::span<const Var> xs, int axis);
/// stack() for a braced list: `stack({h1, h2}, 0)`.
/// @param xs One or more values of one shape. @param axis Where the new axis goes.
/// @throws recur::ValueError, recur::ShapeError as stack(std::span<const Var>, int).
Var stack(std::initializer_list<Var> xs, int axis);
/// Cuts `x` along `axis` into pieces of the given sizes, which must add up to the extent.
/// @param x Any value. @param sizes The pieces' extents along axis. @param axis The axis to cut.
/// @throws recur::ShapeError if the sizes do not add up to the extent.
std::vector<Var> split(const Var& x, std::span<const std::size_t> sizes, int axis);
/// Cuts `x` along `axis` into `chunks` equal pieces (the extent must divide evenly), like the
/// LSTM's split of its gate pre-activations into i, f, g, o.
/// @param x Any value. @param chunks How many pieces. @param axis The axis to cut.
/// @throws recur::ShapeError if the extent is not a multiple of chunks.
std::vector<Var> chunk(const Var& x, std::size_t chunks, int axis);
/// Elements [start, end) along `axis`.
/// @param x Any value. @param axis The axis. @param start, end The half-open range kept.
/// @throws recur::ShapeError unless start <= end <= the extent.
Var slice(const Var& x, int axis, std::size_t start, std::size_t end);
/// Element `index` along `axis`, which is removed: select(x [T, B, H], 0, t) is [B, H].
/// @param x Any value. @param axis The axis removed. @param index The position kept.
/// @throws recur::ShapeError for an index past the extent.
Var select(const Var& x, int axis, std::size_t index);
/// A copy of x's value that no gradient flows through: the state carried from one chunk of a
/// stream to the next in truncated backpropagation through time.
/// @param x Any value.
/// @code
/// state = {recur::detach(result.state.h), recur::detach(result.state.c)};   // next chunk
/// @endcode
Var detach(const Var& x);

}  // namespace recur
