// Layer normalisation as one op. x is seen as [rows, n] (n the product of normalized_shape);
// every row is normalised on its own. When a gradient is wanted the forward pass keeps the
// normalised rows x^ and each row's 1/sigma in the node's saved buffer, so backward is two
// short passes per row and recomputes nothing.
#include "autograd/ops/normalization.hpp"

#include <array>
#include <cmath>
#include <string>
#include <xtensor/xnoalias.hpp>

#include "autograd/ops/lanes.hpp"
#include "autograd/recorder.hpp"
#include "core/error.hpp"

namespace recur {
namespace {

using detail::span_of;

void check_affine(const char* name, const Var& v, const Var& x, const Shape& normalized_shape) {
  if (!v.defined()) return;
  if (!std::equal(v.shape().begin(), v.shape().end(), normalized_shape.begin(),
                  normalized_shape.end()))
    throw ShapeError(std::string("layer_norm: ") + name + " " + shape_str(v.shape()) +
                     " must have the normalized_shape " + shape_str(normalized_shape) + " (input " +
                     shape_str(x.shape()) + ")");
}

// sum over i of a[i] * b[i] * c[i] (c may be null: sum of a[i] * b[i]), in float lanes.
float dot3_of(const float* a, const float* b, const float* c, std::size_t size) {
  if (c == nullptr) return detail::dot_of(a, b, size);
  float acc[detail::kAccumulators] = {};
  std::size_t i = 0;
  for (; i + detail::kAccumulators <= size; i += detail::kAccumulators)
    for (std::size_t j = 0; j < detail::kAccumulators; ++j)
      acc[j] += a[i + j] * b[i + j] * c[i + j];
  float total = detail::combine(acc);
  for (; i < size; ++i) total += a[i] * b[i] * c[i];
  return total;
}

}  // namespace

// Per row of n elements:  mu = mean x,  s = 1 / sqrt(mean (x - mu)^2 + eps),  x^ = (x - mu) s,
//   y = x^ * w + b
// Backward, with g = dy * w:
//   dx += s * (g - mean(g) - x^ * mean(g * x^)),  dw += sum over rows dy * x^,  db += sum dy
Var layer_norm(const Var& x, const Shape& normalized_shape, const Var& weight, const Var& bias,
               float eps) {
  const std::size_t rank = x.rank(), axes = normalized_shape.size();
  bool fits = axes > 0 && axes <= rank;
  for (std::size_t i = 0; fits && i < axes; ++i)
    fits = x.dim(rank - axes + i) == normalized_shape[i];
  if (!fits)
    throw ShapeError("layer_norm: normalized_shape " + shape_str(normalized_shape) +
                     " must be the trailing extents of the input " + shape_str(x.shape()) +
                     " (and not empty)");
  check_affine("weight", weight, x, normalized_shape);
  check_affine("bias", bias, x, normalized_shape);
  const bool has_weight = weight.defined(), has_bias = bias.defined();
  const std::size_t n = shape_numel(normalized_shape);
  const std::size_t rows = n == 0 ? 0 : x.value().size() / n;

  std::array<Var, 3> inputs{x};
  std::size_t count = 1;
  if (has_weight) inputs[count++] = weight;
  if (has_bias) inputs[count++] = bias;
  NodeRecorder rec("layer_norm", std::span<const Var>(inputs.data(), count));
  Tensor& y = rec.output(x.shape());
  const bool keep = rec.requires_grad();
  // saved: x^ [rows, n] then 1/sigma [rows]
  float* saved = keep ? rec.saved(Shape{rows * n + rows}).data() : nullptr;
  const float* xs = x.value().data();
  const float* w = has_weight ? weight.value().data() : nullptr;
  const float* b = has_bias ? bias.value().data() : nullptr;
  for (std::size_t r = 0; r < rows; ++r) {
    const float* xr = xs + r * n;
    const auto mean = static_cast<float>(detail::sum_of(xr, n) / static_cast<double>(n));
    const double variance = detail::squared_deviation_of(xr, n, mean) / static_cast<double>(n);
    const auto inv_std = static_cast<float>(1.0 / std::sqrt(variance + eps));
    float* normalized = keep ? saved + r * n : y.data() + r * n;
    xt::noalias(span_of(normalized, n)) = (span_of(xr, n) - mean) * inv_std;
    if (keep) saved[rows * n + r] = inv_std;
    auto yr = span_of(y.data() + r * n, n);
    const auto xhat = span_of(static_cast<const float*>(normalized), n);
    if (has_weight && has_bias)
      xt::noalias(yr) = xhat * span_of(w, n) + span_of(b, n);
    else if (has_weight)
      xt::noalias(yr) = xhat * span_of(w, n);
    else if (has_bias)
      xt::noalias(yr) = xhat + span_of(b, n);
    else if (keep)
      xt::noalias(yr) = xhat;
  }
  return rec.finish([rows, n, has_weight, has_bias](BackwardContext& ctx) {
    const float* xhat_rows = ctx.saved().data();
    const float* inv_std = xhat_rows + rows * n;
    const float* dy = ctx.grad_output().data();
    const float* w = has_weight ? ctx.input(1).data() : nullptr;
    const std::size_t bias_input = has_weight ? 2 : 1;
    float* dw = has_weight && ctx.needs_grad(1) ? ctx.grad_input(1).data() : nullptr;
    float* db =
        has_bias && ctx.needs_grad(bias_input) ? ctx.grad_input(bias_input).data() : nullptr;
    float* dx = ctx.needs_grad(0) ? ctx.grad_input(0).data() : nullptr;
    const float inv_n = 1.0f / static_cast<float>(n);
    for (std::size_t r = 0; r < rows; ++r) {
      const float* xhat = xhat_rows + r * n;
      const float* dyr = dy + r * n;
      const auto xhat_span = span_of(xhat, n);
      const auto dy_span = span_of(dyr, n);
      if (dw != nullptr) xt::noalias(span_of(dw, n)) += dy_span * xhat_span;
      if (db != nullptr) xt::noalias(span_of(db, n)) += dy_span;
      if (dx == nullptr) continue;
      // mean(g) and mean(g * x^), g = dy * w
      const float mean_g =
          (w != nullptr ? detail::dot_of(dyr, w, n) : detail::sum_of(dyr, n)) * inv_n;
      const float mean_gx = dot3_of(dyr, xhat, w, n) * inv_n;
      auto dxr = span_of(dx + r * n, n);
      if (w != nullptr)
        xt::noalias(dxr) += inv_std[r] * (dy_span * span_of(w, n) - mean_g - xhat_span * mean_gx);
      else
        xt::noalias(dxr) += inv_std[r] * (dy_span - mean_g - xhat_span * mean_gx);
    }
  });
}

Var layer_norm(const Var& x, std::size_t last_axis_size, const Var& weight, const Var& bias,
               float eps) {
  return layer_norm(x, Shape{last_axis_size}, weight, bias, eps);
}

}  // namespace recur
