// Indexing ops. A backward rule may not capture a tensor, so gather and index_select keep their
// int64 indices in the node's saved float buffer (two floats per index, bit for bit), as
// embedding does; masked_fill keeps its mask there.
#include "autograd/ops/indexing.hpp"

#include <algorithm>
#include <cstring>
#include <string>
#include <xtensor/xnoalias.hpp>
#include <xtensor/xoperation.hpp>

#include "autograd/ops/axis.hpp"
#include "autograd/ops/lanes.hpp"
#include "autograd/recorder.hpp"
#include "core/error.hpp"

namespace recur {
namespace {

using detail::span_of;

// The number of elements one copy of `mask` covers when x is that mask repeated over leading
// axes (mask, less its leading 1s, equals x's trailing extents: a [T, S] causal mask against
// [B, heads, T, S]); 0 otherwise.
std::size_t repeat_period(const Tensor::shape_type& mask, const Tensor::shape_type& x) {
  std::size_t first = 0;
  while (first < mask.size() && mask[first] == 1) ++first;
  const std::size_t kept = mask.size() - first;
  if (kept > x.size()) return 0;
  if (!std::equal(mask.begin() + static_cast<std::ptrdiff_t>(first), mask.end(),
                  x.end() - static_cast<std::ptrdiff_t>(kept)))
    return 0;
  return shape_numel(mask);
}

void save_indices(NodeRecorder& rec, const std::int64_t* index, std::size_t count) {
  Tensor& saved = rec.saved(Shape{2 * count});
  if (count > 0) std::memcpy(saved.data(), index, count * sizeof(std::int64_t));
}

std::int64_t saved_index(const Tensor& saved, std::size_t j) {
  std::int64_t value = 0;
  std::memcpy(&value, saved.data() + 2 * j, sizeof value);
  return value;
}

void check_index(const char* op, std::int64_t index, std::size_t position, std::size_t axis,
                 std::size_t extent, const Tensor::shape_type& shape) {
  if (index >= 0 && index < static_cast<std::int64_t>(extent)) return;
  throw ValueError(std::string(op) + ": index " + std::to_string(index) + " (at position " +
                   std::to_string(position) + ") is out of range for axis " + std::to_string(axis) +
                   " of extent " + std::to_string(extent) + " (input " + shape_str(shape) +
                   (extent == 0 ? ")" : "; valid: 0 to " + std::to_string(extent - 1) + ")"));
}

// The row-major strides of a shape, in elements.
Shape strides_of(const Tensor::shape_type& shape) {
  Shape strides(shape.size(), 1);
  for (std::size_t i = shape.size(); i-- > 1;) strides[i - 1] = strides[i] * shape[i];
  return strides;
}

// Calls f(j, base) for every position j of `index_shape` in row-major order, where base is the
// offset in x (of strides `x_strides`) of the same coordinates with the gathered axis at 0.
template <class F>
void for_each_gather_position(const Tensor::shape_type& index_shape, const Shape& x_strides,
                              std::size_t axis, F&& f) {
  const std::size_t rank = index_shape.size(), count = shape_numel(index_shape);
  Shape coord(rank, 0);
  std::size_t base = 0;
  for (std::size_t j = 0; j < count; ++j) {
    f(j, base);
    for (std::size_t d = rank; d-- > 0;) {
      const std::size_t stride = d == axis ? 0 : x_strides[d];
      base += stride;
      if (++coord[d] < index_shape[d]) break;
      base -= stride * coord[d];
      coord[d] = 0;
    }
  }
}

}  // namespace

// y = mask ? value : x (mask constant, broadcast to x);  dx += dy where the mask is zero
Var masked_fill(const Var& x, const Tensor& mask, float value) {
  const auto& shape = x.shape();
  bool fits = mask.dimension() <= shape.size();
  for (std::size_t i = 0; fits && i < mask.dimension(); ++i) {
    const std::size_t extent = mask.shape(mask.dimension() - 1 - i);
    fits = extent == 1 || extent == shape[shape.size() - 1 - i];
  }
  if (!fits)
    throw ShapeError("masked_fill: mask " + shape_str(mask.shape()) +
                     " does not broadcast to the input's shape " + shape_str(shape));
  const std::size_t period = x.value().size() == 0 ? 0 : repeat_period(mask.shape(), shape);
  NodeRecorder rec("masked_fill", {x});
  Tensor& y = rec.output(shape);
  if (period > 0) {
    const auto m = span_of(mask.data(), period);
    for (std::size_t start = 0; start < y.size(); start += period)
      xt::noalias(span_of(y.data() + start, period)) =
          xt::where(xt::not_equal(m, 0.0f), value, span_of(x.value().data() + start, period));
  } else {
    xt::noalias(y) = xt::where(xt::not_equal(mask, 0.0f), value, x.value());
  }
  if (rec.requires_grad()) xt::noalias(rec.saved(mask.shape())) = mask;
  return rec.finish([period](BackwardContext& ctx) {
    if (!ctx.needs_grad(0)) return;
    const Tensor& mask = ctx.saved();
    const Tensor& dy = ctx.grad_output();
    Tensor& dx = ctx.grad_input(0);
    if (period == 0) {
      xt::noalias(dx) += xt::where(xt::not_equal(mask, 0.0f), 0.0f, dy);
      return;
    }
    const auto m = span_of(mask.data(), period);
    for (std::size_t start = 0; start < dx.size(); start += period) {
      auto target = span_of(dx.data() + start, period);
      xt::noalias(target) +=
          xt::where(xt::not_equal(m, 0.0f), 0.0f, span_of(dy.data() + start, period));
    }
  });
}

Var masked_fill(const Var& x, const xt::xarray<bool>& mask, float value) {
  const Tensor numeric = xt::cast<float>(mask);
  return masked_fill(x, numeric, value);
}

// y[.., j, ..] = x[.., index[.., j, ..], ..] along axis;  dx[.., index[.., j, ..], ..] += dy[.., j,
// ..]
Var gather(const Var& x, int axis, const IndexTensor& index) {
  const std::size_t ax = normalize_axis("gather", axis, x.rank());
  bool fits = index.dimension() == x.rank();
  for (std::size_t d = 0; fits && d < x.rank(); ++d) fits = d == ax || index.shape(d) <= x.dim(d);
  if (!fits)
    throw ShapeError("gather: index " + shape_str(index.shape()) + " does not fit input " +
                     shape_str(x.shape()) + " along axis " + std::to_string(ax) +
                     " (it needs the input's rank, and no larger extent on the other axes)");
  const std::int64_t* positions = index.data();
  for (std::size_t j = 0; j < index.size(); ++j)
    check_index("gather", positions[j], j, ax, x.dim(ax), x.shape());
  NodeRecorder rec("gather", {x});
  Tensor& y = rec.output(index.shape());
  const Shape x_strides = strides_of(x.shape());
  const float* source = x.value().data();
  const std::size_t step = x_strides[ax];
  for_each_gather_position(index.shape(), x_strides, ax, [&](std::size_t j, std::size_t base) {
    y.data()[j] = source[base + static_cast<std::size_t>(positions[j]) * step];
  });
  if (rec.requires_grad()) save_indices(rec, positions, index.size());
  return rec.finish([ax](BackwardContext& ctx) {
    if (!ctx.needs_grad(0)) return;
    const Shape x_strides = strides_of(ctx.input(0).shape());
    const Tensor& saved = ctx.saved();
    const float* dy = ctx.grad_output().data();
    float* dx = ctx.grad_input(0).data();
    const std::size_t step = x_strides[ax];
    for_each_gather_position(ctx.grad_output().shape(), x_strides, ax,
                             [&](std::size_t j, std::size_t base) {
                               const auto at = static_cast<std::size_t>(saved_index(saved, j));
                               dx[base + at * step] += dy[j];
                             });
  });
}

// x seen as [outer, extent, inner]:  y[o, j, :] = x[o, index[j], :];  dx[o, index[j], :] += dy[o,
// j, :]
Var index_select(const Var& x, int axis, const IndexTensor& index) {
  const std::size_t ax = normalize_axis("index_select", axis, x.rank());
  if (index.dimension() > 1)
    throw ShapeError("index_select: the index must be 1-D, got " + shape_str(index.shape()) +
                     " (input " + shape_str(x.shape()) + ")");
  const std::size_t count = index.size();
  const std::int64_t* positions = index.data();
  for (std::size_t j = 0; j < count; ++j)
    check_index("index_select", positions[j], j, ax, x.dim(ax), x.shape());
  Shape shape(x.shape().begin(), x.shape().end());
  shape[ax] = count;
  const detail::Lanes lanes = detail::lanes_of(x.shape(), ax);
  NodeRecorder rec("index_select", {x});
  Tensor& y = rec.output(shape);
  const float* source = x.value().data();
  const std::size_t inner = lanes.inner;
  for (std::size_t o = 0; o < lanes.outer; ++o)
    for (std::size_t j = 0; j < count; ++j)
      std::copy_n(source + (o * lanes.extent + static_cast<std::size_t>(positions[j])) * inner,
                  inner, y.data() + (o * count + j) * inner);
  if (rec.requires_grad()) save_indices(rec, positions, count);
  return rec.finish([lanes, count](BackwardContext& ctx) {
    if (!ctx.needs_grad(0)) return;
    const Tensor& saved = ctx.saved();
    const float* dy = ctx.grad_output().data();
    float* dx = ctx.grad_input(0).data();
    const std::size_t inner = lanes.inner;
    for (std::size_t o = 0; o < lanes.outer; ++o)
      for (std::size_t j = 0; j < count; ++j) {
        const auto at = static_cast<std::size_t>(saved_index(saved, j));
        auto target = span_of(dx + (o * lanes.extent + at) * inner, inner);
        xt::noalias(target) += span_of(dy + (o * count + j) * inner, inner);
      }
  });
}

}  // namespace recur
