// Reductions: sums and means over all elements or along one axis. The tensor is seen as
// [outer, extent, inner] around the axis (detail::Lanes); summing along the last axis adds
// contiguous rows, any other axis adds contiguous inner-length rows, both vectorised.
#include "autograd/ops/reductions.hpp"

#include <xtensor/xnoalias.hpp>

#include "autograd/ops/axis.hpp"
#include "autograd/ops/lanes.hpp"
#include "autograd/recorder.hpp"

namespace recur {
namespace {

using detail::Lanes;
using detail::span_of;

// The shape of a reduction along `axis`: the axis removed, or kept with extent 1.
Shape reduced_shape(const Tensor::shape_type& shape, std::size_t axis, bool keepdim) {
  Shape result;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i != axis) result.push_back(shape[i]);
    else if (keepdim) result.push_back(1);
  }
  return result;
}

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

}  // namespace recur
