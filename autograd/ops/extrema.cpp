// Maxima, minima, their positions, and logsumexp (the smooth maximum). A tensor is seen as
// [outer, extent, inner] lanes around the axis (detail::Lanes); each lane is scanned in order,
// so "the first" extreme element is the one with the smallest position, as in torch.
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <xtensor/xnoalias.hpp>

#include "autograd/ops/axis.hpp"
#include "autograd/ops/lanes.hpp"
#include "autograd/ops/reductions.hpp"
#include "autograd/recorder.hpp"
#include "core/error.hpp"

namespace recur {
namespace {

using detail::Lanes;

// True when v should replace best: strictly beyond it, or the first NaN (which propagates).
inline bool beats(float v, float best, bool largest) {
  if (std::isnan(best)) return false;
  if (std::isnan(v)) return true;
  return largest ? v > best : v < best;
}

// The lanes of x along axis, refusing an empty axis (a lane without elements has no extreme).
Lanes nonempty_lanes(const char* op, const Tensor::shape_type& shape, int axis, std::size_t& ax) {
  ax = normalize_axis(op, axis, shape.size());
  if (shape[ax] == 0)
    throw ShapeError(std::string(op) + ": axis " + std::to_string(axis) + " of " +
                     shape_str(shape) + " is empty; there is no extreme element to take");
  return detail::lanes_of(shape, ax);
}

// For every lane (o, i): the position k of its first extreme element, written to position[o, i].
template <class Out>
void scan_extremes(const float* x, const Lanes& lanes, bool largest, Out&& position) {
  const std::size_t n = lanes.extent, inner = lanes.inner;
  for (std::size_t o = 0; o < lanes.outer; ++o)
    for (std::size_t i = 0; i < inner; ++i) {
      const float* lane = x + o * n * inner + i;
      std::size_t best = 0;
      for (std::size_t k = 1; k < n; ++k)
        if (beats(lane[k * inner], lane[best * inner], largest)) best = k;
      position(o * inner + i, best);
    }
}

// y[o, i] = x[o, k*, i], k* the first extreme position;  dx[o, k*, i] += dy[o, i]
Var extreme_along(const char* op, const Var& x, int axis, bool keepdim, bool largest) {
  std::size_t ax = 0;
  const Lanes lanes = nonempty_lanes(op, x.shape(), axis, ax);
  NodeRecorder rec(op, {x});
  Tensor& y = rec.output(detail::reduced_shape(x.shape(), ax, keepdim));
  // The positions, as uint32 bits one float each, when backward will need them.
  float* saved = rec.requires_grad() ? rec.saved(Shape{y.size()}).data() : nullptr;
  const float* xs = x.value().data();
  const std::size_t n = lanes.extent, inner = lanes.inner;
  scan_extremes(xs, lanes, largest, [&](std::size_t lane, std::size_t k) {
    const std::size_t o = lane / inner, i = lane % inner;
    y.data()[lane] = xs[(o * n + k) * inner + i];
    if (saved == nullptr) return;
    const auto bits = static_cast<std::uint32_t>(k);
    std::memcpy(saved + lane, &bits, sizeof bits);
  });
  return rec.finish([lanes](BackwardContext& ctx) {
    if (!ctx.needs_grad(0)) return;
    const float* saved = ctx.saved().data();
    const float* dy = ctx.grad_output().data();
    float* dx = ctx.grad_input(0).data();
    const std::size_t n = lanes.extent, inner = lanes.inner;
    for (std::size_t lane = 0; lane < lanes.outer * inner; ++lane) {
      std::uint32_t k = 0;
      std::memcpy(&k, saved + lane, sizeof k);
      dx[(lane / inner * n + k) * inner + lane % inner] += dy[lane];
    }
  });
}

// y = the extreme of all elements;  dx += dy / count where x == y (x is NaN, when y is NaN)
Var extreme_all(const char* op, const Var& x, bool largest) {
  const std::size_t size = x.value().size();
  if (size == 0)
    throw ShapeError(std::string(op) + ": the input " + shape_str(x.shape()) +
                     " is empty; there is no extreme element to take");
  const float* xs = x.value().data();
  std::size_t best = 0;
  for (std::size_t j = 1; j < size; ++j)
    if (beats(xs[j], xs[best], largest)) best = j;
  NodeRecorder rec(op, {x});
  rec.output(Shape{})() = xs[best];
  return rec.finish([](BackwardContext& ctx) {
    if (!ctx.needs_grad(0)) return;
    const float y = ctx.output()();
    const Tensor& v = ctx.input(0);
    const auto ties = [y](float e) { return std::isnan(y) ? std::isnan(e) : e == y; };
    std::size_t count = 0;
    for (float e : v) count += ties(e) ? 1 : 0;
    const float share = ctx.grad_output()() / static_cast<float>(count);
    float* dx = ctx.grad_input(0).data();
    for (std::size_t j = 0; j < v.size(); ++j)
      if (ties(v.data()[j])) dx[j] += share;
  });
}

IndexTensor extreme_position(const char* op, const Tensor& x, int axis, bool keepdim,
                             bool largest) {
  std::size_t ax = 0;
  const Lanes lanes = nonempty_lanes(op, x.shape(), axis, ax);
  const Shape shape = detail::reduced_shape(x.shape(), ax, keepdim);
  IndexTensor positions(shape);
  scan_extremes(x.data(), lanes, largest, [&](std::size_t lane, std::size_t k) {
    positions.data()[lane] = static_cast<std::int64_t>(k);
  });
  return positions;
}

}  // namespace

Var max(const Var& x, int axis, bool keepdim) {
  return extreme_along("max", x, axis, keepdim, true);
}
Var min(const Var& x, int axis, bool keepdim) {
  return extreme_along("min", x, axis, keepdim, false);
}
Var max(const Var& x) { return extreme_all("max", x, true); }
Var min(const Var& x) { return extreme_all("min", x, false); }

IndexTensor argmax(const Tensor& x, int axis, bool keepdim) {
  return extreme_position("argmax", x, axis, keepdim, true);
}
IndexTensor argmin(const Tensor& x, int axis, bool keepdim) {
  return extreme_position("argmin", x, axis, keepdim, false);
}
IndexTensor argmax(const Var& x, int axis, bool keepdim) {
  return argmax(x.value(), axis, keepdim);
}
IndexTensor argmin(const Var& x, int axis, bool keepdim) {
  return argmin(x.value(), axis, keepdim);
}

// Per lane:  m = max x (0 when it is infinite, as torch),  y = m + ln sum e^(x - m)
//   dx += dy e^(x - y)  (the lane's softmax)
Var logsumexp(const Var& x, int axis, bool keepdim) {
  const std::size_t ax = normalize_axis("logsumexp", axis, x.rank());
  const Lanes lanes = detail::lanes_of(x.shape(), ax);
  NodeRecorder rec("logsumexp", {x});
  Tensor& y = rec.output(detail::reduced_shape(x.shape(), ax, keepdim));
  const float* xs = x.value().data();
  const std::size_t n = lanes.extent, inner = lanes.inner;
  for (std::size_t o = 0; o < lanes.outer; ++o)
    for (std::size_t i = 0; i < inner; ++i) {
      const float* lane = xs + o * n * inner + i;
      float m = -std::numeric_limits<float>::infinity();
      for (std::size_t k = 0; k < n; ++k) m = lane[k * inner] > m ? lane[k * inner] : m;
      if (std::isinf(m)) m = 0.0f;
      double total = 0.0;
      for (std::size_t k = 0; k < n; ++k)
        total += std::exp(static_cast<double>(lane[k * inner]) - m);
      y.data()[o * inner + i] = static_cast<float>(m + std::log(total));
    }
  return rec.finish([lanes](BackwardContext& ctx) {
    if (!ctx.needs_grad(0)) return;
    const float* xs = ctx.input(0).data();
    const float* ys = ctx.output().data();
    const float* dy = ctx.grad_output().data();
    float* dx = ctx.grad_input(0).data();
    const std::size_t n = lanes.extent, inner = lanes.inner;
    for (std::size_t o = 0; o < lanes.outer; ++o)
      for (std::size_t k = 0; k < n; ++k) {
        const std::size_t row = (o * n + k) * inner;
        for (std::size_t i = 0; i < inner; ++i)
          dx[row + i] += dy[o * inner + i] * std::exp(xs[row + i] - ys[o * inner + i]);
      }
  });
}

}  // namespace recur
