#include "layers/linear.hpp"

#include <cmath>
#include <string>

#include "autograd/ops/linalg.hpp"
#include "autograd/tape.hpp"
#include "core/error.hpp"
#include "core/random.hpp"

namespace recur::nn {

Linear::Linear(const LinearOptions& options) : options_(options) {
  if (options.in_features == 0 || options.out_features == 0)
    throw ValueError("Linear: in_features and out_features must be positive, got in_features = " +
                     std::to_string(options.in_features) +
                     ", out_features = " + std::to_string(options.out_features));
  // PyTorch's default (kaiming_uniform with a = sqrt(5)) works out to uniform(-k, k),
  // k = 1/sqrt(in_features), for the weight and the bias alike.
  const float bound = 1.0f / std::sqrt(static_cast<float>(options.in_features));
  Generator& generator = default_generator();
  weight_ = &register_parameter(
      "weight", generator.uniform({options.out_features, options.in_features}, -bound, bound));
  if (options.bias)
    bias_ = &register_parameter("bias", generator.uniform({options.out_features}, -bound, bound));
}

// x: [..., I] -> [..., O]; the leading axes are flattened into the GEMM's rows.
Var Linear::forward(const Var& x) {
  const std::size_t in = options_.in_features;
  if (x.rank() == 0 || x.dim(x.rank() - 1) != in)
    throw ShapeError("Linear: input " + shape_str(x.shape()) + " must end in in_features = " +
                     std::to_string(in) + " (expected [..., " + std::to_string(in) + "])");
  Tape& tape = x.tape();
  const Var weight = tape.parameter(*weight_);
  const Var bias = bias_ ? tape.parameter(*bias_) : Var();
  return linear(x, weight, bias);  // any leading axes, multiplied in place as rows
}

}  // namespace recur::nn
