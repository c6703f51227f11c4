// Scans along an axis. The tensor is seen as [outer, extent, inner] lanes (detail::Lanes). The
// running value of every lane is kept in double, as torch's CPU scans keep it: for inner == 1 a
// scalar per row, otherwise a row of `inner` doubles updated with one xtensor expression per
// step (vectorised across lanes; a scan is sequential along its own axis). That row lives in a
// per-thread scratch buffer that only grows, so a steady training loop allocates nothing here.
#include "autograd/ops/cumulative.hpp"

#include <cmath>
#include <limits>
#include <vector>
#include <xtensor/xadapt.hpp>
#include <xtensor/xmath.hpp>
#include <xtensor/xnoalias.hpp>

#include "autograd/ops/axis.hpp"
#include "autograd/ops/lanes.hpp"
#include "autograd/recorder.hpp"

namespace recur {
namespace {

using detail::Lanes;
using detail::span_of;

constexpr double kNegInf = -std::numeric_limits<double>::infinity();

// `size` doubles of per-thread scratch, zero-filled.
double* scratch_row(std::size_t size) {
  thread_local std::vector<double> row;
  row.assign(size, 0.0);
  return row.data();
}

auto double_span(double* data, std::size_t size) {
  return xt::adapt(data, size, xt::no_ownership(), std::array<std::size_t, 1>{size});
}

// log(e^a + e^b) as torch's _log_add_exp_helper: NaN propagates, equal infinities stay put.
inline double log_add_exp(double running, double x) {
  if (std::isnan(running) || std::isnan(x)) return std::numeric_limits<double>::quiet_NaN();
  const double low = std::min(running, x), high = std::max(running, x);
  if (low != high || std::isfinite(low)) return std::log1p(std::exp(low - high)) + high;
  return x;
}

// The same over a row of lanes, as one expression: with d = |r - x|, log1p(e^-d) + max(r, x),
// except x itself where r == x is infinite (d would be NaN) and NaN where either is NaN.
template <class Running, class Input>
auto log_add_exp_rows(const Running& running, const Input& x) {
  return xt::where(
      xt::isnan(running) || xt::isnan(x), std::numeric_limits<double>::quiet_NaN(),
      xt::where(xt::not_equal(running, x) || xt::isfinite(x),
                xt::log1p(xt::exp(-xt::abs(running - x))) + xt::maximum(running, x), x));
}

}  // namespace

// y_k = sum_{j <= k} x_j;  dx_j += sum_{k >= j} dy_k (the reverse scan of dy)
Var cumsum(const Var& x, int axis) {
  const Lanes lanes = detail::lanes_of(x.shape(), normalize_axis("cumsum", axis, x.rank()));
  NodeRecorder rec("cumsum", {x});
  Tensor& y = rec.output(x.shape());
  const float* xs = x.value().data();
  const std::size_t n = lanes.extent, inner = lanes.inner;
  for (std::size_t o = 0; o < lanes.outer; ++o) {
    double* running = scratch_row(inner);
    auto run = double_span(running, inner);
    for (std::size_t k = 0; k < n; ++k) {
      const std::size_t row = (o * n + k) * inner;
      if (inner == 1) {
        running[0] += xs[row];
        y.data()[row] = static_cast<float>(running[0]);
      } else {
        xt::noalias(run) += span_of(xs + row, inner);
        xt::noalias(span_of(y.data() + row, inner)) = run;
      }
    }
  }
  return rec.finish([lanes](BackwardContext& ctx) {
    if (!ctx.needs_grad(0)) return;
    const float* dy = ctx.grad_output().data();
    float* dx = ctx.grad_input(0).data();
    const std::size_t n = lanes.extent, inner = lanes.inner;
    for (std::size_t o = 0; o < lanes.outer; ++o) {
      double* running = scratch_row(inner);
      auto run = double_span(running, inner);
      for (std::size_t k = n; k-- > 0;) {
        const std::size_t row = (o * n + k) * inner;
        if (inner == 1) {
          running[0] += dy[row];
          dx[row] += static_cast<float>(running[0]);
        } else {
          xt::noalias(run) += span_of(dy + row, inner);
          xt::noalias(span_of(dx + row, inner)) += run;
        }
      }
    }
  });
}

// y_k = log(e^{y_{k-1}} + e^{x_k}), y_{-1} = -inf, in double.
// Backward, with every exponent <= 0 (y is non-decreasing and x_j <= y_j):
//   R_j = dy_j + e^{y_j - y_{j+1}} R_{j+1}  (R_{n-1} = dy_{n-1}),   dx_j += e^{x_j - y_j} R_j
// so that dx_j = sum_{k >= j} dy_k e^{x_j - y_k}. R runs in double. The factor is taken as 0
// where y_{j+1} = +inf (those terms are 0 for any finite x_j, and inf - inf must not reach an
// earlier gradient) and where y_j = -inf (an all -inf prefix, whose gradient is taken as 0).
Var logcumsumexp(const Var& x, int axis) {
  const Lanes lanes = detail::lanes_of(x.shape(), normalize_axis("logcumsumexp", axis, x.rank()));
  NodeRecorder rec("logcumsumexp", {x});
  Tensor& y = rec.output(x.shape());
  const float* xs = x.value().data();
  const std::size_t n = lanes.extent, inner = lanes.inner;
  for (std::size_t o = 0; o < lanes.outer; ++o) {
    double* running = scratch_row(inner);
    auto run = double_span(running, inner);
    std::fill(running, running + inner, kNegInf);
    for (std::size_t k = 0; k < n; ++k) {
      const std::size_t row = (o * n + k) * inner;
      if (inner == 1) {
        running[0] = log_add_exp(running[0], xs[row]);
        y.data()[row] = static_cast<float>(running[0]);
        continue;
      }
      xt::noalias(run) = log_add_exp_rows(run, xt::cast<double>(span_of(xs + row, inner)));
      xt::noalias(span_of(y.data() + row, inner)) = xt::cast<float>(run);
    }
  }
  return rec.finish([lanes](BackwardContext& ctx) {
    if (!ctx.needs_grad(0)) return;
    constexpr float inf = std::numeric_limits<float>::infinity(), neg_inf = -inf;
    const float* xs = ctx.input(0).data();
    const float* ys = ctx.output().data();
    const float* dy = ctx.grad_output().data();
    float* dx = ctx.grad_input(0).data();
    const std::size_t n = lanes.extent, inner = lanes.inner;
    for (std::size_t o = 0; o < lanes.outer; ++o) {
      double* reverse = scratch_row(inner);  // R, lane by lane
      auto r = double_span(reverse, inner);
      for (std::size_t j = n; j-- > 0;) {
        const std::size_t row = (o * n + j) * inner;
        if (inner == 1) {
          const float yj = ys[row];
          const bool cut = j + 1 == n || yj == neg_inf || ys[row + 1] == inf;
          const double factor = cut ? 0.0 : std::exp(yj - ys[row + 1]);
          reverse[0] = dy[row] + factor * reverse[0];
          if (yj != neg_inf) dx[row] += static_cast<float>(std::exp(xs[row] - yj) * reverse[0]);
          continue;
        }
        const auto yj = span_of(ys + row, inner);
        if (j + 1 == n)
          xt::noalias(r) = xt::cast<double>(span_of(dy + row, inner));
        else
          xt::noalias(r) =
              xt::cast<double>(span_of(dy + row, inner)) +
              xt::where(xt::equal(yj, neg_inf) || xt::equal(span_of(ys + row + inner, inner), inf),
                        0.0, xt::exp(yj - span_of(ys + row + inner, inner)) * r);
        auto dxj = span_of(dx + row, inner);
        xt::noalias(dxj) += xt::where(xt::equal(yj, neg_inf), 0.0f,
                                      xt::cast<float>(xt::exp(span_of(xs + row, inner) - yj) * r));
      }
    }
  });
}

}  // namespace recur
