#include "core/tensor.hpp"

#include <algorithm>

namespace recur {

Tensor zeros(const Shape& shape) { return full(shape, 0.0f); }

Tensor full(const Shape& shape, float value) {
  Tensor tensor(shape);
  std::fill(tensor.begin(), tensor.end(), value);
  return tensor;
}

Shape shape_of(const Tensor& tensor) { return Shape(tensor.shape().begin(), tensor.shape().end()); }

bool same_shape(const Tensor& tensor, const Shape& shape) {
  return std::equal(tensor.shape().begin(), tensor.shape().end(), shape.begin(), shape.end());
}

}  // namespace recur
