#include "layers/layer_norm.hpp"

#include <algorithm>
#include <string>

#include "autograd/ops/normalization.hpp"
#include "autograd/tape.hpp"
#include "core/error.hpp"

namespace recur::nn {

LayerNorm::LayerNorm(const LayerNormOptions& options) : options_(options) {
  const Shape& shape = options.normalized_shape;
  if (shape.empty() || std::find(shape.begin(), shape.end(), 0u) != shape.end())
    throw ValueError("LayerNorm: normalized_shape " + shape_str(shape) +
                     " must have at least one axis and no extent 0, e.g. "
                     "{.normalized_shape = {H}}");
  if (!(options.eps >= 0))
    throw ValueError("LayerNorm: eps must be >= 0, got " + std::to_string(options.eps));
  if (options.elementwise_affine) {
    weight_ = &register_parameter("weight", full(shape, 1.0f));
    if (options.bias) bias_ = &register_parameter("bias", zeros(shape));
  }
}

// x: [..., *normalized_shape] -> the same
Var LayerNorm::forward(const Var& x) {
  Tape& tape = x.tape();
  const Var weight = weight_ ? tape.parameter(*weight_) : Var();
  const Var bias = bias_ ? tape.parameter(*bias_) : Var();
  return layer_norm(x, options_.normalized_shape, weight, bias, static_cast<float>(options_.eps));
}

}  // namespace recur::nn
