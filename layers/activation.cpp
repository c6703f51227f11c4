#include "layers/activation.hpp"

#include "autograd/ops/elementwise.hpp"

namespace recur::nn {

Var ReLU::forward(const Var& x) { return relu(x); }
Var Tanh::forward(const Var& x) { return tanh(x); }
Var Sigmoid::forward(const Var& x) { return sigmoid(x); }

}  // namespace recur::nn
