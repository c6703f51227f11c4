/// @file
/// recur::Tensor, the float32 n-dimensional array every value and gradient is stored in.
#pragma once

#include <xtensor/xarray.hpp>

#include "core/shape.hpp"

namespace recur {

/// A dense, row-major float32 array of any rank: an xtensor `xt::xarray<float>`, so the whole
/// of xtensor's expression language (and its xsimd vectorisation) applies to it.
///
/// @code
/// recur::Tensor x = recur::zeros({2, 3});
/// x(1, 2) = 4.0f;
/// @endcode
using Tensor = xt::xarray<float>;

/// A tensor of the given shape filled with zeros.
/// @param shape The extents, outermost first; `{}` is a 0-d scalar.
/// @code
/// recur::Tensor h0 = recur::zeros({num_layers, batch, hidden});
/// @endcode
Tensor zeros(const Shape& shape);

/// A tensor of the given shape filled with `value`.
/// @param shape The extents. @param value Every element's value.
Tensor full(const Shape& shape, float value);

/// The shape of a tensor as a recur::Shape.
/// @param tensor Any tensor.
Shape shape_of(const Tensor& tensor);

/// True when `tensor` has exactly this shape.
/// @param tensor Any tensor. @param shape The shape it should have.
/// @code
/// if (!recur::same_shape(x, {T, B, I})) throw recur::ShapeError("...");
/// @endcode
bool same_shape(const Tensor& tensor, const Shape& shape);

}  // namespace recur

namespace recur {

/// Integer tensors: token ids, class labels, lengths.
using IndexTensor = xt::xarray<std::int64_t>;

}  // namespace recur
