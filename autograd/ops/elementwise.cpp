// Elementwise ops. Each computes its value with one xtensor expression (vectorised by xsimd) and
// records a rule that adds into its inputs' gradients; sigmoid, tanh and exp take their
// derivative from the saved output y rather than recomputing it from x.
#include "autograd/ops/elementwise.hpp"

#include <xtensor/xmath.hpp>
#include <xtensor/xnoalias.hpp>

#include "autograd/ops/broadcast.hpp"
#include "autograd/recorder.hpp"

namespace recur {

// y = a + b;  da += dy, db += dy (each reduced to its own shape)
Var add(const Var& a, const Var& b) {
  const Shape shape = broadcast_shapes("add", a.shape(), b.shape());
  NodeRecorder rec("add", {a, b});
  xt::noalias(rec.output(shape)) = a.value() + b.value();
  return rec.finish([](BackwardContext& ctx) {
    if (ctx.needs_grad(0)) accumulate(ctx.grad_input(0), ctx.grad_output());
    if (ctx.needs_grad(1)) accumulate(ctx.grad_input(1), ctx.grad_output());
  });
}

// y = a - b;  da += dy, db -= dy
Var sub(const Var& a, const Var& b) {
  const Shape shape = broadcast_shapes("sub", a.shape(), b.shape());
  NodeRecorder rec("sub", {a, b});
  xt::noalias(rec.output(shape)) = a.value() - b.value();
  return rec.finish([](BackwardContext& ctx) {
    if (ctx.needs_grad(0)) accumulate(ctx.grad_input(0), ctx.grad_output());
    if (ctx.needs_grad(1)) accumulate(ctx.grad_input(1), -ctx.grad_output());
  });
}

// y = a * b;  da += dy * b, db += dy * a
Var mul(const Var& a, const Var& b) {
  const Shape shape = broadcast_shapes("mul", a.shape(), b.shape());
  NodeRecorder rec("mul", {a, b});
  xt::noalias(rec.output(shape)) = a.value() * b.value();
  return rec.finish([](BackwardContext& ctx) {
    if (ctx.needs_grad(0)) accumulate(ctx.grad_input(0), ctx.grad_output() * ctx.input(1));
    if (ctx.needs_grad(1)) accumulate(ctx.grad_input(1), ctx.grad_output() * ctx.input(0));
  });
}

// y = a / b;  da += dy / b, db -= dy * y / b
Var div(const Var& a, const Var& b) {
  const Shape shape = broadcast_shapes("div", a.shape(), b.shape());
  NodeRecorder rec("div", {a, b});
  xt::noalias(rec.output(shape)) = a.value() / b.value();
  return rec.finish([](BackwardContext& ctx) {
    if (ctx.needs_grad(0)) accumulate(ctx.grad_input(0), ctx.grad_output() / ctx.input(1));
    if (ctx.needs_grad(1))
      accumulate(ctx.grad_input(1), -ctx.grad_output() * ctx.output() / ctx.input(1));
  });
}

// y = -x;  dx -= dy
Var neg(const Var& x) {
  NodeRecorder rec("neg", {x});
  xt::noalias(rec.output(x.shape())) = -x.value();
  return rec.finish([](BackwardContext& ctx) {
    if (ctx.needs_grad(0)) xt::noalias(ctx.grad_input(0)) -= ctx.grad_output();
  });
}

// y = x + s;  dx += dy
Var add_scalar(const Var& x, float s) {
  NodeRecorder rec("add_scalar", {x});
  xt::noalias(rec.output(x.shape())) = x.value() + s;
  return rec.finish([](BackwardContext& ctx) {
    if (ctx.needs_grad(0)) xt::noalias(ctx.grad_input(0)) += ctx.grad_output();
  });
}

// y = x * s;  dx += s * dy
Var mul_scalar(const Var& x, float s) {
  NodeRecorder rec("mul_scalar", {x});
  xt::noalias(rec.output(x.shape())) = x.value() * s;
  return rec.finish([s](BackwardContext& ctx) {
    if (ctx.needs_grad(0)) xt::noalias(ctx.grad_input(0)) += s * ctx.grad_output();
  });
}

// y = 1 / (1 + e^-x);  dx += dy * y * (1 - y)
Var sigmoid(const Var& x) {
  NodeRecorder rec("sigmoid", {x});
  xt::noalias(rec.output(x.shape())) = 1.0f / (1.0f + xt::exp(-x.value()));
  return rec.finish([](BackwardContext& ctx) {
    const Tensor& y = ctx.output();
    if (ctx.needs_grad(0)) xt::noalias(ctx.grad_input(0)) += ctx.grad_output() * y * (1.0f - y);
  });
}

// y = tanh(x);  dx += dy * (1 - y^2)
Var tanh(const Var& x) {
  NodeRecorder rec("tanh", {x});
  xt::noalias(rec.output(x.shape())) = xt::tanh(x.value());
  return rec.finish([](BackwardContext& ctx) {
    const Tensor& y = ctx.output();
    if (ctx.needs_grad(0)) xt::noalias(ctx.grad_input(0)) += ctx.grad_output() * (1.0f - y * y);
  });
}

// y = max(x, 0);  dx += dy where x > 0
Var relu(const Var& x) {
  NodeRecorder rec("relu", {x});
  xt::noalias(rec.output(x.shape())) = xt::maximum(x.value(), 0.0f);
  return rec.finish([](BackwardContext& ctx) {
    if (ctx.needs_grad(0))
      xt::noalias(ctx.grad_input(0)) +=
          xt::where(ctx.input(0) > 0.0f, ctx.grad_output(), 0.0f);
  });
}

// y = e^x;  dx += dy * y
Var exp(const Var& x) {
  NodeRecorder rec("exp", {x});
  xt::noalias(rec.output(x.shape())) = xt::exp(x.value());
  return rec.finish([](BackwardContext& ctx) {
    if (ctx.needs_grad(0)) xt::noalias(ctx.grad_input(0)) += ctx.grad_output() * ctx.output();
  });
}

// y = ln x;  dx += dy / x
Var log(const Var& x) {
  NodeRecorder rec("log", {x});
  xt::noalias(rec.output(x.shape())) = xt::log(x.value());
  return rec.finish([](BackwardContext& ctx) {
    if (ctx.needs_grad(0)) xt::noalias(ctx.grad_input(0)) += ctx.grad_output() / ctx.input(0);
  });
}

}  // namespace recur
