// Elementwise ops. Each computes its value with one xtensor expression (vectorised by xsimd) and
// records a rule that adds into its inputs' gradients; sigmoid, tanh and exp take their
// derivative from the saved output y rather than recomputing it from x.
#include "autograd/ops/elementwise.hpp"

#include <algorithm>
#include <limits>

#include <xtensor/xmath.hpp>
#include <xtensor/xnoalias.hpp>

#include "autograd/ops/broadcast.hpp"
#include "autograd/recorder.hpp"
#include "core/error.hpp"

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

// y = |x|;  dx += dy sign(x)
Var abs(const Var& x) {
  NodeRecorder rec("abs", {x});
  xt::noalias(rec.output(x.shape())) = xt::abs(x.value());
  return rec.finish([](BackwardContext& ctx) {
    if (ctx.needs_grad(0))
      xt::noalias(ctx.grad_input(0)) += ctx.grad_output() * xt::sign(ctx.input(0));
  });
}

// y = sqrt x;  dx += dy / (2 y)
Var sqrt(const Var& x) {
  NodeRecorder rec("sqrt", {x});
  xt::noalias(rec.output(x.shape())) = xt::sqrt(x.value());
  return rec.finish([](BackwardContext& ctx) {
    if (ctx.needs_grad(0))
      xt::noalias(ctx.grad_input(0)) += ctx.grad_output() / (2.0f * ctx.output());
  });
}

// y = x^p;  dx += dy p x^(p - 1)  (nothing for p = 0, where torch's gradient is 0)
Var pow(const Var& x, float exponent) {
  NodeRecorder rec("pow", {x});
  xt::noalias(rec.output(x.shape())) = xt::pow(x.value(), exponent);
  return rec.finish([exponent](BackwardContext& ctx) {
    if (!ctx.needs_grad(0) || exponent == 0.0f) return;
    const Tensor& v = ctx.input(0);
    if (exponent == 2.0f)  // the common square: no pow call
      xt::noalias(ctx.grad_input(0)) += 2.0f * ctx.grad_output() * v;
    else
      xt::noalias(ctx.grad_input(0)) +=
          (exponent * ctx.grad_output()) * xt::pow(v, exponent - 1.0f);
  });
}

// y = min(max(x, lo), hi);  dx += dy where lo <= x <= hi
Var clamp(const Var& x, std::optional<float> min, std::optional<float> max) {
  if (!min && !max)
    throw ValueError("clamp: give at least one of min and max (input " + shape_str(x.shape()) +
                     ")");
  constexpr float inf = std::numeric_limits<float>::infinity();
  const float lo = min.value_or(-inf), hi = max.value_or(inf);
  // With lo > hi, torch's min(max(x, lo), hi) is hi everywhere: clamping to [hi, hi] says so.
  const float low = std::min(lo, hi);
  NodeRecorder rec("clamp", {x});
  const Tensor& v = x.value();
  // Comparisons with NaN are false, so NaN passes through as torch's clamp lets it.
  xt::noalias(rec.output(x.shape())) = xt::where(v > hi, hi, xt::where(v < low, low, v));
  return rec.finish([lo, hi](BackwardContext& ctx) {
    if (!ctx.needs_grad(0)) return;
    const Tensor& v = ctx.input(0);
    xt::noalias(ctx.grad_input(0)) += xt::where(v >= lo && v <= hi, ctx.grad_output(), 0.0f);
  });
}

namespace {

// Elementwise max (or min) with torch's gradient: a gets dy where it wins, dy / 2 where a == b,
// and (as torch's masked rule does) dy where the comparison is undefined (NaN).
Var extremum(const char* op, const Var& a, const Var& b, bool larger) {
  const Shape shape = broadcast_shapes(op, a.shape(), b.shape());
  NodeRecorder rec(op, {a, b});
  const Tensor& av = a.value();
  const Tensor& bv = b.value();
  if (larger)
    xt::noalias(rec.output(shape)) = xt::where(xt::isnan(av) || av > bv, av, bv);
  else
    xt::noalias(rec.output(shape)) = xt::where(xt::isnan(av) || av < bv, av, bv);
  return rec.finish([larger](BackwardContext& ctx) {
    const Tensor& av = ctx.input(0);
    const Tensor& bv = ctx.input(1);
    const Tensor& dy = ctx.grad_output();
    // An input's share: 0 where it loses, dy / 2 on a tie, dy otherwise.
    const auto share = [&](Tensor& target, const auto& loses) {
      accumulate(target, xt::where(loses, 0.0f, xt::where(xt::equal(av, bv), 0.5f * dy, dy)));
    };
    if (ctx.needs_grad(0)) {
      if (larger)
        share(ctx.grad_input(0), av < bv);
      else
        share(ctx.grad_input(0), av > bv);
    }
    if (ctx.needs_grad(1)) {
      if (larger)
        share(ctx.grad_input(1), av > bv);
      else
        share(ctx.grad_input(1), av < bv);
    }
  });
}

}  // namespace

Var maximum(const Var& a, const Var& b) { return extremum("maximum", a, b, true); }

Var minimum(const Var& a, const Var& b) { return extremum("minimum", a, b, false); }

}  // namespace recur
