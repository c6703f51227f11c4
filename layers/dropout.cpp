#include "layers/dropout.hpp"

#include <string>

#include "autograd/ops/nn_ops.hpp"
#include "core/error.hpp"

namespace recur::nn {

Dropout::Dropout(const DropoutOptions& options) : options_(options) {
  if (!(options.p >= 0.0f && options.p < 1.0f))
    throw ValueError("Dropout: p must be in [0, 1), got " + std::to_string(options.p));
}

Var Dropout::forward(const Var& x) {
  if (!is_training() || options_.p == 0.0f) return x;
  return dropout(x, options_.p, true);
}

}  // namespace recur::nn
