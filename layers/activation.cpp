#include "layers/activation.hpp"

#include "autograd/ops/elementwise.hpp"
#include "autograd/ops/nn_ops.hpp"

namespace recur::nn {

Var ReLU::forward(const Var& x) { return relu(x); }
Var Tanh::forward(const Var& x) { return tanh(x); }
Var Sigmoid::forward(const Var& x) { return sigmoid(x); }
Var GELU::forward(const Var& x) { return gelu(x, options_.approximate); }
Var SiLU::forward(const Var& x) { return silu(x); }
Var LeakyReLU::forward(const Var& x) { return leaky_relu(x, options_.negative_slope); }
Var Softplus::forward(const Var& x) { return softplus(x, options_.beta, options_.threshold); }
Var LogSigmoid::forward(const Var& x) { return log_sigmoid(x); }
Var Softmax::forward(const Var& x) { return softmax(x, options_.dim); }
Var LogSoftmax::forward(const Var& x) { return log_softmax(x, options_.dim); }

}  // namespace recur::nn
