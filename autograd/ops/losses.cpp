// Losses with fused backward rules. cross_entropy computes log-softmax and the negative
// log-likelihood in one pass per row and, when a gradient is wanted, keeps the per-row gradient
// softmax - onehot in the node's saved buffer, so backward is one scaled addition. The
// elementwise losses (BCE with logits, Huber) write their terms into the saved buffer (pooled
// scratch) to add them up in double blocks, and recompute what backward needs from the inputs.
#include "autograd/ops/losses.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include <xtensor/xmath.hpp>
#include <xtensor/xnoalias.hpp>
#include <xtensor/xview.hpp>

#include "autograd/ops/broadcast.hpp"
#include "autograd/ops/lanes.hpp"
#include "autograd/recorder.hpp"
#include "core/error.hpp"
#include "core/kernels/team.hpp"

namespace recur {
namespace {

using detail::span_of;

// The output shape of a loss with per-element shape `elementwise` under `reduction`.
Shape loss_shape(Reduction reduction, Shape elementwise) {
  return reduction == Reduction::none ? elementwise : Shape{};
}

// The factor of each term's gradient for a scalar loss: 1 / size for the mean, 1 for the sum.
float reduction_scale(Reduction reduction, std::size_t size) {
  return reduction == Reduction::mean ? 1.0f / static_cast<float>(size) : 1.0f;
}

// Sets the scalar y from the elementwise terms (mean or sum); nothing for Reduction::none,
// where the terms are y.
void reduce_terms(Tensor& y, const Tensor& terms, Reduction reduction) {
  if (reduction == Reduction::none) return;
  const double total = detail::sum_of(terms.data(), terms.size());
  y() = static_cast<float>(reduction == Reduction::mean
                               ? total / static_cast<double>(terms.size())
                               : total);
}

// cross_entropy splits its rows over the team in parts of whole 16 rows, and wakes the team only
// for at least 16K logits per member: fewer cost less than the wake-up.
constexpr std::size_t kRowGrain = 16;
std::size_t min_rows_per_thread(std::size_t classes) {
  return std::max<std::size_t>(kRowGrain, 16384 / std::max<std::size_t>(classes, 1));
}

void require_same_shape(const char* op, const Var& input, const Var& target) {
  if (input.shape() != target.shape())
    throw ShapeError(std::string(op) + ": input " + shape_str(input.shape()) + " and target " +
                     shape_str(target.shape()) + " must have the same shape");
}

}  // namespace

// logits z [N, C], targets t [N]:  loss_n = logsumexp(z_n) - z_n[t_n]  (0 where t_n is ignored)
//   mean: sum_n loss_n / (number of rows not ignored); when every row is ignored the loss is
//         NaN (0 / 0) and the gradient zero, exactly as PyTorch does
//   dz_n += w_n * (softmax(z_n) - onehot(t_n)), w_n = dy / count (mean), dy (sum), dy_n (none)
Var cross_entropy(const Var& logits, const IndexTensor& targets, std::int64_t ignore_index,
                  Reduction reduction) {
  if (logits.rank() != 2 || targets.dimension() != 1 || targets.shape(0) != logits.dim(0))
    throw ShapeError("cross_entropy: expected logits [N, C] and targets [N], got logits " +
                     shape_str(logits.shape()) + " and targets " + shape_str(targets.shape()));
  const std::size_t rows = logits.dim(0), classes = logits.dim(1);
  const auto num_classes = static_cast<std::int64_t>(classes);
  const std::int64_t* target = targets.data();
  std::size_t count = 0;
  for (std::size_t n = 0; n < rows; ++n) {
    if (target[n] == ignore_index) continue;
    if (target[n] < 0 || target[n] >= num_classes)
      throw ValueError("cross_entropy: target " + std::to_string(target[n]) + " (row " +
                       std::to_string(n) + ") is out of range for " + std::to_string(classes) +
                       " classes (valid: 0 to " + std::to_string(num_classes - 1) +
                       ", or ignore_index " + std::to_string(ignore_index) + ")");
    ++count;
  }

  NodeRecorder rec("cross_entropy", {logits});
  Tensor& y = rec.output(loss_shape(reduction, Shape{rows}));
  // Without a gradient the saved buffer is still the scratch row for e^(z - m) (pooled memory).
  const bool keep_grad = rec.requires_grad();
  float* grad_rows = rec.saved(Shape{rows, classes}).data();
  // Each row's loss lands in its own slot (y itself for Reduction::none), and the caller adds
  // the slots up in row order: the rows can be split over the team and the total is bitwise
  // the same on any thread count.
  thread_local std::vector<float> row_losses;
  float* losses = y.data();
  if (reduction != Reduction::none) {
    if (row_losses.size() < rows) row_losses.resize(rows);
    losses = row_losses.data();
  }
  const float* z = logits.value().data();
  const auto loss_of_rows = [&](std::size_t first, std::size_t last) {
    for (std::size_t n = first; n < last; ++n) {
      const float* zn = z + n * classes;
      float* gn = grad_rows + n * classes;
      losses[n] = 0.0f;
      if (target[n] == ignore_index) {
        if (keep_grad) std::fill_n(gn, classes, 0.0f);
        continue;
      }
      const float m = detail::max_of(zn, classes);
      // e^(z - m) into the saved row, normalised into softmax - onehot when backward needs it.
      auto g = span_of(gn, classes);
      xt::noalias(g) = xt::exp(span_of(zn, classes) - m);
      const float sum_exp = detail::sum_of(gn, classes);
      if (keep_grad) {
        xt::noalias(g) = g * (1.0f / sum_exp);
        gn[static_cast<std::size_t>(target[n])] -= 1.0f;
      }
      losses[n] = (m - zn[target[n]]) + std::log(sum_exp);
    }
  };
  kernels::parallel_for(rows, kRowGrain, min_rows_per_thread(classes), loss_of_rows);
  // With every row ignored the mean is 0 / 0 = NaN but the gradient is zero, as in PyTorch.
  const float scale =
      reduction != Reduction::mean ? 1.0f : count == 0 ? 0.0f : 1.0f / static_cast<float>(count);
  if (reduction != Reduction::none) {
    double total = 0.0;
    for (std::size_t n = 0; n < rows; ++n) total += losses[n];
    y() = static_cast<float>(reduction == Reduction::mean ? total / static_cast<double>(count)
                                                          : total);
  }

  return rec.finish([reduction, scale, rows, classes](BackwardContext& ctx) {
    if (!ctx.needs_grad(0)) return;
    float* dz = ctx.grad_input(0).data();
    const float* grad_rows = ctx.saved().data();
    const float* dy = ctx.grad_output().data();
    // Rows split over the team like the forward pass; each element's sum is one addition.
    kernels::parallel_for(
        rows, kRowGrain, min_rows_per_thread(classes), [&](std::size_t first, std::size_t last) {
          const std::size_t begin = first * classes, size = (last - first) * classes;
          if (reduction != Reduction::none) {
            auto d = span_of(dz + begin, size);
            xt::noalias(d) += (scale * dy[0]) * span_of(grad_rows + begin, size);
            return;
          }
          for (std::size_t n = first; n < last; ++n) {
            auto d = span_of(dz + n * classes, classes);
            xt::noalias(d) += dy[n] * span_of(grad_rows + n * classes, classes);
          }
        });
  });
}

// d = input - target:  none: y = d^2,  sum: y = sum d^2,  mean: y = sum d^2 / size
//   dinput += 2 * w * d,  dtarget -= 2 * w * d,  w = dy (none, sum) or dy / size (mean)
Var mse_loss(const Var& input, const Var& target, Reduction reduction) {
  if (input.shape() != target.shape())
    throw ShapeError("mse_loss: input " + shape_str(input.shape()) + " and target " +
                     shape_str(target.shape()) + " must have the same shape");
  NodeRecorder rec("mse_loss", {input, target});
  const std::size_t size = input.value().size();
  const Shape elementwise(input.shape().begin(), input.shape().end());
  Tensor& y = rec.output(loss_shape(reduction, elementwise));
  const float scale = reduction == Reduction::mean ? 1.0f / static_cast<float>(size) : 1.0f;
  if (reduction == Reduction::none) {
    xt::noalias(y) = xt::square(input.value() - target.value());
  } else {
    const double total =
        detail::squared_distance_of(input.value().data(), target.value().data(), size);
    y() = static_cast<float>(total * scale);
  }
  return rec.finish([reduction, scale](BackwardContext& ctx) {
    const Tensor& a = ctx.input(0);
    const Tensor& b = ctx.input(1);
    const Tensor& dy = ctx.grad_output();
    if (reduction == Reduction::none) {
      if (ctx.needs_grad(0)) xt::noalias(ctx.grad_input(0)) += 2.0f * dy * (a - b);
      if (ctx.needs_grad(1)) xt::noalias(ctx.grad_input(1)) -= 2.0f * dy * (a - b);
      return;
    }
    const float w = 2.0f * scale * dy();
    if (ctx.needs_grad(0)) xt::noalias(ctx.grad_input(0)) += w * (a - b);
    if (ctx.needs_grad(1)) xt::noalias(ctx.grad_input(1)) -= w * (a - b);
  });
}

// With sp = softplus(-x) = log1p(e^-|x|) + max(-x, 0) and c = 1 + (p - 1) t (c = 1 without p):
//   l = (1 - t) x + c sp
//   dx += w ((1 - t) - c sigmoid(-x)),  dt += w (-x + (p - 1) sp),  dp += w t sp (reduced to p)
// with w = dy (none) or dy / size (mean), dy (sum).
Var binary_cross_entropy_with_logits(const Var& input, const Var& target, Reduction reduction,
                                     const Var& pos_weight) {
  const char* op = "binary_cross_entropy_with_logits";
  require_same_shape(op, input, target);
  const bool weighted = pos_weight.defined();
  if (weighted && broadcast_shapes(op, pos_weight.shape(), input.shape()) != input.shape())
    throw ShapeError(std::string(op) + ": pos_weight " + shape_str(pos_weight.shape()) +
                     " does not broadcast to the input's shape " + shape_str(input.shape()));
  NodeRecorder rec = weighted ? NodeRecorder(op, {input, target, pos_weight})
                              : NodeRecorder(op, {input, target});
  const Shape elementwise(input.shape().begin(), input.shape().end());
  Tensor& y = rec.output(loss_shape(reduction, elementwise));
  Tensor& terms = reduction == Reduction::none ? y : rec.saved(elementwise);
  const Tensor& x = input.value();
  const Tensor& t = target.value();
  if (weighted)
    xt::noalias(terms) = (1.0f - t) * x + (1.0f + (pos_weight.value() - 1.0f) * t) *
                                              (xt::log1p(xt::exp(-xt::abs(x))) +
                                               xt::maximum(-x, 0.0f));
  else
    xt::noalias(terms) = (1.0f - t) * x + (xt::log1p(xt::exp(-xt::abs(x))) + xt::maximum(-x, 0.0f));
  reduce_terms(y, terms, reduction);
  const float scale = reduction_scale(reduction, x.size());
  return rec.finish([reduction, scale, weighted](BackwardContext& ctx) {
    const Tensor& x = ctx.input(0);
    const Tensor& t = ctx.input(1);
    // upstream: dy for Reduction::none, the scalar w otherwise; one code path for both.
    const auto add_gradients = [&](const auto& upstream) {
      if (!weighted) {
        if (ctx.needs_grad(0))
          xt::noalias(ctx.grad_input(0)) += upstream * ((1.0f - t) - 1.0f / (1.0f + xt::exp(x)));
        if (ctx.needs_grad(1)) xt::noalias(ctx.grad_input(1)) -= upstream * x;
        return;
      }
      const Tensor& p = ctx.input(2);
      if (ctx.needs_grad(0))
        xt::noalias(ctx.grad_input(0)) +=
            upstream * ((1.0f - t) - (1.0f + (p - 1.0f) * t) / (1.0f + xt::exp(x)));
      if (ctx.needs_grad(1))
        xt::noalias(ctx.grad_input(1)) +=
            upstream * ((p - 1.0f) * (xt::log1p(xt::exp(-xt::abs(x))) + xt::maximum(-x, 0.0f)) - x);
      if (ctx.needs_grad(2))
        accumulate(ctx.grad_input(2),
                   upstream * t * (xt::log1p(xt::exp(-xt::abs(x))) + xt::maximum(-x, 0.0f)));
    };
    if (reduction == Reduction::none)
      add_gradients(ctx.grad_output());
    else
      add_gradients(scale * ctx.grad_output()());
  });
}

// log_probs z [N, C], targets t [N]:  loss_n = -z_n[t_n]  (0 where t_n is ignored)
//   mean over the rows not ignored (NaN, with a zero gradient, when all are: PyTorch's rule)
//   dz_n[t_n] -= w_n,  w_n = dy / count (mean), dy (sum), dy_n (none)
Var nll_loss(const Var& log_probs, const IndexTensor& targets, std::int64_t ignore_index,
             Reduction reduction) {
  if (log_probs.rank() != 2 || targets.dimension() != 1 || targets.shape(0) != log_probs.dim(0))
    throw ShapeError("nll_loss: expected log_probs [N, C] and targets [N], got log_probs " +
                     shape_str(log_probs.shape()) + " and targets " + shape_str(targets.shape()));
  const std::size_t rows = log_probs.dim(0), classes = log_probs.dim(1);
  const auto num_classes = static_cast<std::int64_t>(classes);
  const std::int64_t* target = targets.data();
  std::size_t count = 0;
  for (std::size_t n = 0; n < rows; ++n) {
    if (target[n] == ignore_index) continue;
    if (target[n] < 0 || target[n] >= num_classes)
      throw ValueError("nll_loss: target " + std::to_string(target[n]) + " (row " +
                       std::to_string(n) + ") is out of range for " + std::to_string(classes) +
                       " classes (valid: 0 to " + std::to_string(num_classes - 1) +
                       ", or ignore_index " + std::to_string(ignore_index) + ")");
    ++count;
  }
  NodeRecorder rec("nll_loss", {log_probs});
  Tensor& y = rec.output(loss_shape(reduction, Shape{rows}));
  const float* z = log_probs.value().data();
  double total = 0.0;
  for (std::size_t n = 0; n < rows; ++n) {
    const float loss =
        target[n] == ignore_index ? 0.0f : -z[n * classes + static_cast<std::size_t>(target[n])];
    if (reduction == Reduction::none) y.data()[n] = loss;
    total += loss;
  }
  if (reduction == Reduction::mean) y() = static_cast<float>(total / static_cast<double>(count));
  if (reduction == Reduction::sum) y() = static_cast<float>(total);
  if (rec.requires_grad()) {  // the targets' int64 bits, two floats each
    Tensor& saved = rec.saved(Shape{2 * rows});
    if (rows > 0) std::memcpy(saved.data(), target, rows * sizeof(std::int64_t));
  }
  const float scale =
      reduction != Reduction::mean ? 1.0f : count == 0 ? 0.0f : 1.0f / static_cast<float>(count);
  return rec.finish([reduction, scale, rows, classes, ignore_index](BackwardContext& ctx) {
    if (!ctx.needs_grad(0)) return;
    const float* saved = ctx.saved().data();
    const float* dy = ctx.grad_output().data();
    float* dz = ctx.grad_input(0).data();
    for (std::size_t n = 0; n < rows; ++n) {
      std::int64_t t = 0;
      std::memcpy(&t, saved + 2 * n, sizeof t);
      if (t == ignore_index) continue;
      dz[n * classes + static_cast<std::size_t>(t)] -=
          reduction == Reduction::none ? dy[n] : scale * dy[0];
    }
  });
}

// d = input - target:  l = d^2 / 2 where |d| < delta, delta (|d| - delta / 2) elsewhere
//   dinput += w clamp(d, -delta, delta),  dtarget -= the same
Var huber_loss(const Var& input, const Var& target, Reduction reduction, float delta) {
  require_same_shape("huber_loss", input, target);
  if (!(delta > 0.0f))
    throw ValueError("huber_loss: delta must be positive, got " + std::to_string(delta));
  NodeRecorder rec("huber_loss", {input, target});
  const Shape elementwise(input.shape().begin(), input.shape().end());
  Tensor& y = rec.output(loss_shape(reduction, elementwise));
  Tensor& terms = reduction == Reduction::none ? y : rec.saved(elementwise);
  xt::noalias(terms) = input.value() - target.value();  // d, then the terms in place
  xt::noalias(terms) = xt::where(xt::abs(terms) < delta, 0.5f * terms * terms,
                                 delta * (xt::abs(terms) - 0.5f * delta));
  reduce_terms(y, terms, reduction);
  const float scale = reduction_scale(reduction, terms.size());
  return rec.finish([reduction, scale, delta](BackwardContext& ctx) {
    const Tensor& a = ctx.input(0);
    const Tensor& b = ctx.input(1);
    const auto add_gradients = [&](const auto& upstream) {
      if (ctx.needs_grad(0))
        xt::noalias(ctx.grad_input(0)) +=
            upstream * xt::where(a - b <= -delta, -delta, xt::where(a - b >= delta, delta, a - b));
      if (ctx.needs_grad(1))
        xt::noalias(ctx.grad_input(1)) -=
            upstream * xt::where(a - b <= -delta, -delta, xt::where(a - b >= delta, delta, a - b));
    };
    if (reduction == Reduction::none)
      add_gradients(ctx.grad_output());
    else
      add_gradients(scale * ctx.grad_output()());
  });
}

}  // namespace recur
