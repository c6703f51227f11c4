/// @file
/// Normalisation ops: layer normalisation as one op with a fused backward rule.
#pragma once

#include <cstddef>

#include "autograd/var.hpp"
#include "core/shape.hpp"

namespace recur {

/// Layer normalisation over the trailing axes given by `normalized_shape`, as
/// `torch.nn.functional.layer_norm`: each group of trailing elements is shifted to mean 0 and
/// scaled by 1 / sqrt(var + eps), with the biased variance (divided by the count, not count - 1),
/// then multiplied elementwise by `weight` and shifted by `bias` when they are given.
/// One op on the tape, whose backward rule computes all three gradients in one pass per group.
/// @code
/// recur::Var h = recur::layer_norm(x, {hidden}, tape.parameter(gamma), tape.parameter(beta));
/// @endcode
/// @param x The input [..., *normalized_shape].
/// @param normalized_shape The trailing extents normalised over, e.g. `{H}` for [T, B, H].
/// @param weight The elementwise scale, of shape normalized_shape, or an empty Var for none.
/// @param bias The elementwise shift, of shape normalized_shape, or an empty Var for none.
/// @param eps Added to the variance inside the square root.
/// @return x's shape.
/// @throws recur::ShapeError naming the shapes when normalized_shape is empty or is not x's
///         trailing extents, or when weight or bias is not of shape normalized_shape.
Var layer_norm(const Var& x, const Shape& normalized_shape, const Var& weight = Var(),
               const Var& bias = Var(), float eps = 1e-5f);

/// layer_norm() over the last axis alone: `layer_norm(x, H, w, b)` is
/// `layer_norm(x, Shape{H}, w, b)`, the usual case of a [..., H] feature axis.
/// @param x The input [..., last_axis_size].
/// @param last_axis_size The extent of x's last axis (checked).
/// @param weight [last_axis_size], or an empty Var. @param bias [last_axis_size], or an empty Var.
/// @param eps Added to the variance inside the square root.
/// @throws recur::ShapeError as layer_norm(const Var&, const Shape&, const Var&, const Var&,
/// float).
Var layer_norm(const Var& x, std::size_t last_axis_size, const Var& weight = Var(),
               const Var& bias = Var(), float eps = 1e-5f);

}  // namespace recur
