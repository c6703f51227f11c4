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
Tensor zeros(const Shape& shape);

/// A tensor of the given shape filled with `value`.
Tensor full(const Shape& shape, float value);

/// The shape of a tensor as a recur::Shape.
Shape shape_of(const Tensor& tensor);

/// True when `tensor` has exactly this shape.
bool same_shape(const Tensor& tensor, const Shape& shape);

}  // namespace recur

namespace recur {

/// Integer tensors: token ids, class labels, lengths.
using IndexTensor = xt::xarray<std::int64_t>;

}  // namespace recur
