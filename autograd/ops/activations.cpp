// Activation functions. Each is one xtensor expression forward (vectorised by xsimd) and one
// backward; derivatives follow torch's own formulas (torch/csrc/autograd/derivatives.yaml), so
// the gradients agree at the switch points (leaky_relu at 0, softplus at its threshold).
#include "autograd/ops/activations.hpp"

#include <cmath>
#include <xtensor/xmath.hpp>
#include <xtensor/xnoalias.hpp>

#include "autograd/recorder.hpp"

namespace recur {
namespace {

constexpr float kSqrtHalf = 0.70710678118654752f;       // 1 / sqrt(2)
constexpr float kInvSqrtTwoPi = 0.39894228040143268f;   // 1 / sqrt(2 pi)
constexpr float kSqrtTwoOverPi = 0.79788456080286536f;  // sqrt(2 / pi)
constexpr float kGeluCubic = 0.044715f;

}  // namespace

// exact:  y = x Phi(x),  Phi(x) = (1 + erf(x / sqrt 2)) / 2;   dx += dy (Phi(x) + x phi(x))
// tanh:   u = sqrt(2/pi) (x + 0.044715 x^3),  y = x (1 + tanh u) / 2;
//         dx += dy ((1 + tanh u) / 2 + x/2 (1 - tanh^2 u) sqrt(2/pi) (1 + 3 * 0.044715 x^2))
Var gelu(const Var& x, GeluApproximation approximate) {
  NodeRecorder rec("gelu", {x});
  Tensor& y = rec.output(x.shape());
  const Tensor& v = x.value();
  if (approximate == GeluApproximation::tanh) {
    // tanh u is kept for backward when it is wanted (the node's pooled buffer, no allocation).
    Tensor& t = rec.requires_grad() ? rec.saved(x.shape()) : y;
    xt::noalias(t) = xt::tanh(kSqrtTwoOverPi * (v + kGeluCubic * v * v * v));
    xt::noalias(y) = 0.5f * v * (1.0f + t);
  } else {
    xt::noalias(y) = 0.5f * v * (1.0f + xt::erf(v * kSqrtHalf));
  }
  return rec.finish([approximate](BackwardContext& ctx) {
    if (!ctx.needs_grad(0)) return;
    const Tensor& v = ctx.input(0);
    if (approximate == GeluApproximation::tanh) {
      const Tensor& t = ctx.saved();
      xt::noalias(ctx.grad_input(0)) +=
          ctx.grad_output() * (0.5f * (1.0f + t) + 0.5f * v * (1.0f - t * t) * kSqrtTwoOverPi *
                                                       (1.0f + 3.0f * kGeluCubic * v * v));
    } else {
      xt::noalias(ctx.grad_input(0)) +=
          ctx.grad_output() *
          (0.5f * (1.0f + xt::erf(v * kSqrtHalf)) + v * kInvSqrtTwoPi * xt::exp(-0.5f * v * v));
    }
  });
}

// y = x s,  s = sigmoid(x);  dx += dy s (1 + x (1 - s))
Var silu(const Var& x) {
  NodeRecorder rec("silu", {x});
  Tensor& y = rec.output(x.shape());
  if (!rec.requires_grad()) {
    xt::noalias(y) = x.value() / (1.0f + xt::exp(-x.value()));
    return rec.finish({});
  }
  Tensor& s = rec.saved(x.shape());  // sigmoid(x), kept for backward
  xt::noalias(s) = 1.0f / (1.0f + xt::exp(-x.value()));
  xt::noalias(y) = x.value() * s;
  return rec.finish([](BackwardContext& ctx) {
    if (!ctx.needs_grad(0)) return;
    const Tensor& s = ctx.saved();
    xt::noalias(ctx.grad_input(0)) += ctx.grad_output() * s * (1.0f + ctx.input(0) * (1.0f - s));
  });
}

// y = x > 0 ? x : a x;  dx += dy (x > 0 ? 1 : a)
Var leaky_relu(const Var& x, float negative_slope) {
  NodeRecorder rec("leaky_relu", {x});
  const Tensor& v = x.value();
  xt::noalias(rec.output(x.shape())) = xt::where(v > 0.0f, v, negative_slope * v);
  return rec.finish([negative_slope](BackwardContext& ctx) {
    if (ctx.needs_grad(0))
      xt::noalias(ctx.grad_input(0)) +=
          xt::where(ctx.input(0) > 0.0f, ctx.grad_output(), negative_slope * ctx.grad_output());
  });
}

// y = beta x > threshold ? x : log1p(exp(beta x)) / beta;
//   dx += dy (beta x > threshold ? 1 : sigmoid(beta x))
Var softplus(const Var& x, float beta, float threshold) {
  NodeRecorder rec("softplus", {x});
  const Tensor& v = x.value();
  xt::noalias(rec.output(x.shape())) =
      xt::where(v * beta > threshold, v, xt::log1p(xt::exp(v * beta)) / beta);
  return rec.finish([beta, threshold](BackwardContext& ctx) {
    if (!ctx.needs_grad(0)) return;
    const Tensor& v = ctx.input(0);
    xt::noalias(ctx.grad_input(0)) +=
        ctx.grad_output() *
        xt::where(v * beta > threshold, 1.0f, 1.0f / (1.0f + xt::exp(-v * beta)));
  });
}

// y = min(x, 0) - log1p(exp(-|x|));  dx += dy sigmoid(-x) = dy / (1 + e^x)
Var log_sigmoid(const Var& x) {
  NodeRecorder rec("log_sigmoid", {x});
  const Tensor& v = x.value();
  xt::noalias(rec.output(x.shape())) = xt::minimum(v, 0.0f) - xt::log1p(xt::exp(-xt::abs(v)));
  return rec.finish([](BackwardContext& ctx) {
    if (ctx.needs_grad(0))
      xt::noalias(ctx.grad_input(0)) += ctx.grad_output() / (1.0f + xt::exp(ctx.input(0)));
  });
}

}  // namespace recur
