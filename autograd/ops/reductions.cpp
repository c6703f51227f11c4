// Reductions: sums, means, variances and norms over all elements or along one axis. The tensor
// is seen as [outer, extent, inner] around the axis (detail::Lanes); summing along the last axis
// adds contiguous rows, any other axis adds contiguous inner-length rows, both vectorised.
// (max, min, their positions and logsumexp are in extrema.cpp.)
#include "autograd/ops/reductions.hpp"

#include <cmath>
#include <limits>
#include <string>

#include <xtensor/xmath.hpp>
#include <xtensor/xnoalias.hpp>

#include "autograd/ops/axis.hpp"
#include "autograd/ops/lanes.hpp"
#include "autograd/recorder.hpp"
#include "core/error.hpp"

namespace recur {
namespace {

using detail::Lanes;
using detail::span_of;

using detail::reduced_shape;

// y[o, i] = scale * sum_k x[o, k, i]
void sum_lanes(const float* x, float* y, const Lanes& lanes, float scale) {
  const std::size_t block = lanes.extent * lanes.inner;
  if (lanes.inner == 1) {
    for (std::size_t o = 0; o < lanes.outer; ++o)
      y[o] = scale * detail::sum_of(x + o * block, lanes.extent);
    return;
  }
  for (std::size_t o = 0; o < lanes.outer; ++o) {
    auto out = span_of(y + o * lanes.inner, lanes.inner);
    std::fill(out.begin(), out.end(), 0.0f);
    // Four rows per pass over `out`: a quarter of the loads and stores of the running sum.
    const float* rows = x + o * block;
    const std::size_t inner = lanes.inner;
    std::size_t k = 0;
    for (; k + 4 <= lanes.extent; k += 4)
      xt::noalias(out) +=
          (span_of(rows + k * inner, inner) + span_of(rows + (k + 1) * inner, inner)) +
          (span_of(rows + (k + 2) * inner, inner) + span_of(rows + (k + 3) * inner, inner));
    for (; k < lanes.extent; ++k) xt::noalias(out) += span_of(rows + k * inner, inner);
    if (scale != 1.0f) xt::noalias(out) = out * scale;
  }
}

// dx[o, k, i] += scale * dy[o, i]
void spread_lanes(const float* grad_y, float* grad_x, const Lanes& lanes, float scale) {
  const std::size_t block = lanes.extent * lanes.inner;
  for (std::size_t o = 0; o < lanes.outer; ++o) {
    if (lanes.inner == 1) {
      auto row = span_of(grad_x + o * block, lanes.extent);
      xt::noalias(row) += scale * grad_y[o];
      continue;
    }
    const auto dy = span_of(grad_y + o * lanes.inner, lanes.inner);
    for (std::size_t k = 0; k < lanes.extent; ++k) {
      auto dx = span_of(grad_x + o * block + k * lanes.inner, lanes.inner);
      xt::noalias(dx) += scale * dy;
    }
  }
}

// y = scale * sum(x);  dx += scale * dy
Var reduce_all(const char* op, const Var& x, bool mean) {
  NodeRecorder rec(op, {x});
  const std::size_t count = x.value().size();
  // mean of nothing is 0/0 = NaN, as in PyTorch.
  const float scale = mean ? 1.0f / static_cast<float>(count) : 1.0f;
  Tensor& y = rec.output(Shape{});
  y() = scale * detail::sum_of(x.value().data(), count);
  return rec.finish([scale](BackwardContext& ctx) {
    if (ctx.needs_grad(0)) xt::noalias(ctx.grad_input(0)) += scale * ctx.grad_output()();
  });
}

// y[o, i] = scale * sum_k x[o, k, i];  dx[o, k, i] += scale * dy[o, i]
Var reduce_axis(const char* op, const Var& x, int axis, bool keepdim, bool mean) {
  const std::size_t ax = normalize_axis(op, axis, x.rank());
  const Lanes lanes = detail::lanes_of(x.shape(), ax);
  const float scale = mean ? 1.0f / static_cast<float>(lanes.extent) : 1.0f;
  const Shape shape = reduced_shape(x.shape(), ax, keepdim);
  NodeRecorder rec(op, {x});
  Tensor& y = rec.output(shape);
  sum_lanes(x.value().data(), y.data(), lanes, scale);
  return rec.finish([lanes, scale](BackwardContext& ctx) {
    if (ctx.needs_grad(0))
      spread_lanes(ctx.grad_output().data(), ctx.grad_input(0).data(), lanes, scale);
  });
}

}  // namespace

Var sum(const Var& x) { return reduce_all("sum", x, false); }
Var sum(const Var& x, int axis, bool keepdim) {
  return reduce_axis("sum", x, axis, keepdim, false);
}
Var mean(const Var& x) { return reduce_all("mean", x, true); }
Var mean(const Var& x, int axis, bool keepdim) {
  return reduce_axis("mean", x, axis, keepdim, true);
}

namespace {

// Calls f(element offset, lane) for every element of x in row-major order, where lane = o * inner
// + i is the position of the element's lane in the reduced result.
template <class F>
void for_each_in_lanes(const Lanes& lanes, F&& f) {
  for (std::size_t o = 0; o < lanes.outer; ++o)
    for (std::size_t k = 0; k < lanes.extent; ++k) {
      const std::size_t row = (o * lanes.extent + k) * lanes.inner;
      for (std::size_t i = 0; i < lanes.inner; ++i) f(row + i, o * lanes.inner + i);
    }
}

// Per lane: mean m = sum x / n,  y = sum (x - m)^2 / (n - c);  dx += dy 2 (x - m) / (n - c)
// (c = 1 when unbiased). The whole tensor is one lane for the full reduction.
Var variance(const Var& x, const Lanes& lanes, const Shape& shape, bool unbiased) {
  NodeRecorder rec("var", {x});
  Tensor& y = rec.output(shape);
  const std::size_t lane_count = lanes.outer * lanes.inner;
  // The lanes' means, kept for backward (the node's pooled buffer serves as scratch otherwise).
  Tensor& means = rec.saved(Shape{lane_count});
  const float* xs = x.value().data();
  sum_lanes(xs, means.data(), lanes, 1.0f / static_cast<float>(lanes.extent));
  const double divisor = static_cast<double>(lanes.extent) - (unbiased ? 1.0 : 0.0);
  if (lanes.inner == 1) {
    for (std::size_t o = 0; o < lanes.outer; ++o)
      y.data()[o] = static_cast<float>(
          detail::squared_deviation_of(xs + o * lanes.extent, lanes.extent, means.data()[o]) /
          divisor);
  } else {
    std::fill(y.begin(), y.end(), 0.0f);
    for_each_in_lanes(lanes, [&](std::size_t at, std::size_t lane) {
      const float d = xs[at] - means.data()[lane];
      y.data()[lane] += d * d;
    });
    xt::noalias(y) = y / static_cast<float>(divisor);
  }
  if (lanes.extent == 0) std::fill(y.begin(), y.end(), std::numeric_limits<float>::quiet_NaN());
  const auto scale = static_cast<float>(2.0 / divisor);
  return rec.finish([lanes, scale](BackwardContext& ctx) {
    if (!ctx.needs_grad(0)) return;
    const float* xs = ctx.input(0).data();
    const float* means = ctx.saved().data();
    const float* dy = ctx.grad_output().data();
    float* dx = ctx.grad_input(0).data();
    for_each_in_lanes(lanes, [&](std::size_t at, std::size_t lane) {
      dx[at] += scale * dy[lane] * (xs[at] - means[lane]);
    });
  });
}

// p = 1:   y = sum |x|,          dx += dy sign(x)
// p = 2:   y = sqrt(sum x^2),    dx += dy x / y   (0 where y = 0, as torch)
// p = inf: y = max |x|,          dx += dy sign(x) / count where |x| = y (ties share, as torch)
Var vector_norm(const Var& x, float p, const Lanes& lanes, const Shape& shape) {
  constexpr float inf = std::numeric_limits<float>::infinity();
  if (p != 1.0f && p != 2.0f && p != inf)
    throw ValueError("norm: p must be 1, 2 or infinity, got " + std::to_string(p) + " (input " +
                     shape_str(x.shape()) + ")");
  const int order = p == inf ? 0 : static_cast<int>(p);  // 0 stands for infinity
  NodeRecorder rec("norm", {x});
  Tensor& y = rec.output(shape);
  const std::size_t lane_count = lanes.outer * lanes.inner;
  const float* xs = x.value().data();
  std::fill(y.begin(), y.end(), 0.0f);
  if (order == 2 && lanes.inner == 1) {
    for (std::size_t o = 0; o < lanes.outer; ++o)
      y.data()[o] = static_cast<float>(
          std::sqrt(detail::squared_deviation_of(xs + o * lanes.extent, lanes.extent, 0.0f)));
  } else {
    for_each_in_lanes(lanes, [&](std::size_t at, std::size_t lane) {
      const float a = std::abs(xs[at]);
      float& acc = y.data()[lane];
      acc = order == 0 ? (a > acc || std::isnan(a) ? a : acc) : acc + (order == 1 ? a : a * a);
    });
    if (order == 2)
      for (std::size_t lane = 0; lane < lane_count; ++lane)
        y.data()[lane] = std::sqrt(y.data()[lane]);
  }
  Tensor* ties = nullptr;
  if (order == 0 && rec.requires_grad()) {  // how many elements reach each lane's maximum
    ties = &rec.saved(Shape{lane_count});
    std::fill(ties->begin(), ties->end(), 0.0f);
    for_each_in_lanes(lanes, [&](std::size_t at, std::size_t lane) {
      if (std::abs(xs[at]) == y.data()[lane]) ties->data()[lane] += 1.0f;
    });
  }
  return rec.finish([lanes, order](BackwardContext& ctx) {
    if (!ctx.needs_grad(0)) return;
    const float* xs = ctx.input(0).data();
    const float* ys = ctx.output().data();
    const float* dy = ctx.grad_output().data();
    float* dx = ctx.grad_input(0).data();
    const float* ties = order == 0 ? ctx.saved().data() : nullptr;
    for_each_in_lanes(lanes, [&](std::size_t at, std::size_t lane) {
      const float v = xs[at];
      const float sign = v > 0.0f ? 1.0f : v < 0.0f ? -1.0f : 0.0f;
      if (order == 1)
        dx[at] += dy[lane] * sign;
      else if (order == 2)
        dx[at] += ys[lane] == 0.0f ? 0.0f : dy[lane] * v / ys[lane];
      else if (std::abs(v) == ys[lane])
        dx[at] += dy[lane] * sign / ties[lane];
    });
  });
}

// The whole tensor as one lane.
Lanes all_as_one_lane(const Var& x) { return Lanes{1, x.value().size(), 1}; }

}  // namespace

Var var(const Var& x, bool unbiased) {
  return variance(x, all_as_one_lane(x), Shape{}, unbiased);
}
Var var(const Var& x, int axis, bool unbiased, bool keepdim) {
  const std::size_t ax = normalize_axis("var", axis, x.rank());
  return variance(x, detail::lanes_of(x.shape(), ax), reduced_shape(x.shape(), ax, keepdim),
                  unbiased);
}

Var norm(const Var& x, float p) { return vector_norm(x, p, all_as_one_lane(x), Shape{}); }
Var norm(const Var& x, float p, int axis, bool keepdim) {
  const std::size_t ax = normalize_axis("norm", axis, x.rank());
  return vector_norm(x, p, detail::lanes_of(x.shape(), ax), reduced_shape(x.shape(), ax, keepdim));
}

}  // namespace recur
