/// @file
/// Layout ops: permute, expand, flip and pad. Each makes a contiguous result by moving
/// elements (runs of them where the layout allows), and its gradient moves them back.
/// @code
/// recur::Var heads = recur::permute(recur::reshape(q, {B, T, H, D}), {0, 2, 1, 3});  // [B, H, T,
/// D] recur::Var padded = recur::pad(x, {0, 0, 2, 0});   // two zero steps before axis -2
/// @endcode
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>

#include "autograd/var.hpp"
#include "core/shape.hpp"

namespace recur {

/// x with its axes reordered, as torch.permute: axis i of the result is axis `dims[i]` of x.
/// @param x Any value. @param dims A permutation of x's axes (negative counts from the end).
/// @return The permuted shape, a contiguous copy.
/// @throws recur::ShapeError naming x's shape and dims unless dims is a permutation of its axes.
Var permute(const Var& x, std::span<const int> dims);
/// permute() for a braced list: `permute(x, {1, 0, 2})`.
/// @param x Any value. @param dims A permutation of x's axes.
/// @throws recur::ShapeError as permute(const Var&, std::span<const int>).
Var permute(const Var& x, std::initializer_list<int> dims);

/// x broadcast to `shape`, as torch.Tensor.expand (but a contiguous copy): axes of extent 1 are
/// repeated and new leading axes added. The gradient is summed back over the repeated axes.
/// @param x Any value. @param shape The result's shape; each of x's extents (right-aligned)
///        must equal it or be 1.
/// @throws recur::ShapeError naming both shapes when x does not broadcast to `shape`.
Var expand(const Var& x, const Shape& shape);

/// x reversed along each axis in `axes`, as torch.flip.
/// @param x Any value. @param axes The axes to reverse (negative counts from the end).
/// @throws recur::ShapeError for an axis out of range or given twice.
Var flip(const Var& x, std::span<const int> axes);
/// flip() for a braced list: `flip(x, {0})` reverses a [T, B, H] sequence in time.
/// @param x Any value. @param axes The axes to reverse.
/// @throws recur::ShapeError as flip(const Var&, std::span<const int>).
Var flip(const Var& x, std::initializer_list<int> axes);

/// Constant padding of x's trailing axes, with torch.nn.functional.pad's argument order:
/// `pads = {left, right}` pads the last axis, `{left, right, top, bottom}` the last two (the
/// last axis first), and so on. A negative amount crops instead, as in torch.
/// @param x Any value. @param pads An even number of amounts, at most two per axis of x.
/// @param value The fill of the padded elements.
/// @throws recur::ShapeError naming x's shape and the pads when their count is odd or exceeds
///         twice x's rank, or when cropping would leave a negative extent.
Var pad(const Var& x, std::span<const std::int64_t> pads, float value = 0.0f);
/// pad() for a braced list: `pad(x, {1, 1})`.
/// @param x Any value. @param pads Amounts, last axis first. @param value The fill.
/// @throws recur::ShapeError as pad(const Var&, std::span<const std::int64_t>, float).
Var pad(const Var& x, std::initializer_list<std::int64_t> pads, float value = 0.0f);

}  // namespace recur
