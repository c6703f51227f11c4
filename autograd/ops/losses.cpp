// Losses with fused backward rules. cross_entropy computes log-softmax and the negative
// log-likelihood in one pass per row and, when a gradient is wanted, keeps the per-row gradient
// softmax - onehot in the node's saved buffer, so backward is one scaled addition.
#include "autograd/ops/losses.hpp"

#include <cmath>
#include <string>

#include <xtensor/xmath.hpp>
#include <xtensor/xnoalias.hpp>
#include <xtensor/xview.hpp>

#include "autograd/ops/lanes.hpp"
#include "autograd/recorder.hpp"
#include "core/error.hpp"

namespace recur {
namespace {

using detail::span_of;

// The output shape of a loss with per-element shape `elementwise` under `reduction`.
Shape loss_shape(Reduction reduction, Shape elementwise) {
  return reduction == Reduction::none ? elementwise : Shape{};
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
  const float* z = logits.value().data();
  double total = 0.0;
  for (std::size_t n = 0; n < rows; ++n) {
    const float* zn = z + n * classes;
    float loss = 0.0f;
    if (target[n] == ignore_index) {
      if (keep_grad) std::fill_n(grad_rows + n * classes, classes, 0.0f);
    } else {
      const float m = detail::max_of(zn, classes);
      // e^(z - m) into the saved row, normalised into softmax - onehot when backward needs it.
      auto g = span_of(grad_rows + n * classes, classes);
      xt::noalias(g) = xt::exp(span_of(zn, classes) - m);
      const float sum_exp = detail::sum_of(grad_rows + n * classes, classes);
      if (keep_grad) {
        xt::noalias(g) = g * (1.0f / sum_exp);
        grad_rows[n * classes + static_cast<std::size_t>(target[n])] -= 1.0f;
      }
      loss = (m - zn[target[n]]) + std::log(sum_exp);
    }
    if (reduction == Reduction::none) y.data()[n] = loss;
    total += loss;
  }
  // With every row ignored the mean is 0 / 0 = NaN but the gradient is zero, as in PyTorch.
  const float scale =
      reduction != Reduction::mean ? 1.0f : count == 0 ? 0.0f : 1.0f / static_cast<float>(count);
  if (reduction == Reduction::mean) y() = static_cast<float>(total / static_cast<double>(count));
  if (reduction == Reduction::sum) y() = static_cast<float>(total);

  return rec.finish([reduction, scale, rows, classes](BackwardContext& ctx) {
    if (!ctx.needs_grad(0)) return;
    Tensor& grad_logits = ctx.grad_input(0);
    const Tensor& grad_rows = ctx.saved();
    if (reduction != Reduction::none) {
      xt::noalias(grad_logits) += (scale * ctx.grad_output()()) * grad_rows;
      return;
    }
    const float* dy = ctx.grad_output().data();
    for (std::size_t n = 0; n < rows; ++n) {
      auto dz = span_of(grad_logits.data() + n * classes, classes);
      xt::noalias(dz) += dy[n] * span_of(grad_rows.data() + n * classes, classes);
    }
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

}  // namespace recur
