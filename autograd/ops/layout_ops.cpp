// Layout ops. Each is described as a walk over a region of `shape` whose element (i0, i1, ...)
// lives at base + sum_d i_d * stride_d in the source and in the destination (strides may be 0
// for a broadcast axis, or negative for a flipped one). The walk moves whole runs of elements
// that are contiguous in both, so permuting [B, T, H, D] to [B, H, T, D] copies rows of D.
// What a rule needs besides shapes (the permutation, the flipped axes, the pads) is kept in the
// node's saved buffer, since a rule may not capture a vector.
#include "autograd/ops/layout_ops.hpp"

#include <algorithm>
#include <cstring>
#include <string>
#include <xtensor/xnoalias.hpp>

#include "autograd/ops/axis.hpp"
#include "autograd/ops/broadcast.hpp"
#include "autograd/recorder.hpp"
#include "core/error.hpp"

namespace recur {
namespace {

using Strides = xt::svector<std::ptrdiff_t, 4>;

Strides contiguous_strides(const Tensor::shape_type& shape) {
  Strides strides(shape.size(), 1);
  for (std::size_t i = shape.size(); i-- > 1;)
    strides[i - 1] = strides[i] * static_cast<std::ptrdiff_t>(shape[i]);
  return strides;
}

// Calls f(src_offset, dst_offset, run) for every run of `run` elements of the region, in
// row-major order. Trailing axes along which both sides are contiguous form the run.
template <class F>
void for_each_run(const Shape& region, const Strides& src_strides, std::ptrdiff_t src_base,
                  const Strides& dst_strides, std::ptrdiff_t dst_base, F&& f) {
  if (shape_numel(region) == 0) return;
  std::size_t axes = region.size(), run = 1;
  while (axes > 0 && src_strides[axes - 1] == static_cast<std::ptrdiff_t>(run) &&
         dst_strides[axes - 1] == static_cast<std::ptrdiff_t>(run)) {
    run *= region[axes - 1];
    --axes;
  }
  Shape coord(axes, 0);
  std::ptrdiff_t src = src_base, dst = dst_base;
  const std::size_t runs = shape_numel(region) / run;
  for (std::size_t r = 0; r < runs; ++r) {
    f(src, dst, run);
    for (std::size_t d = axes; d-- > 0;) {
      src += src_strides[d];
      dst += dst_strides[d];
      if (++coord[d] < region[d]) break;
      const auto back = static_cast<std::ptrdiff_t>(coord[d]);
      src -= src_strides[d] * back;
      dst -= dst_strides[d] * back;
      coord[d] = 0;
    }
  }
}

void add_run(float* dst, const float* src, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) dst[i] += src[i];
}

using Ints = xt::svector<std::int64_t, 4>;

// Integers kept in the saved buffer as int64 bits, two floats each.
void save_ints(NodeRecorder& rec, const Ints& values) {
  Tensor& saved = rec.saved(Shape{2 * values.size()});
  if (!values.empty())
    std::memcpy(saved.data(), values.data(), values.size() * sizeof(std::int64_t));
}

Ints saved_ints(const Tensor& saved) {
  Ints values(saved.size() / 2);
  if (!values.empty())
    std::memcpy(values.data(), saved.data(), values.size() * sizeof(std::int64_t));
  return values;
}

template <class T>
std::string list_str(std::span<const T> values) {
  std::string text = "(";
  for (std::size_t i = 0; i < values.size(); ++i)
    text += (i ? ", " : "") + std::to_string(values[i]);
  return text + ")";
}

// Where each axis of the permuted result steps in x: x's stride of axis order[i].
Strides permuted_strides(const Tensor::shape_type& input_shape, const Ints& order) {
  const Strides in = contiguous_strides(input_shape);
  Strides strides(order.size());
  for (std::size_t i = 0; i < order.size(); ++i)
    strides[i] = in[static_cast<std::size_t>(order[i])];
  return strides;
}

// x's strides and base offset as seen through a flip of the axes marked in `flipped`.
std::ptrdiff_t flipped_strides(const Tensor::shape_type& shape, const Ints& flipped,
                               Strides& strides) {
  strides = contiguous_strides(shape);
  std::ptrdiff_t base = 0;
  for (std::size_t d = 0; d < shape.size(); ++d)
    if (flipped[d] != 0 && shape[d] > 0) {
      base += static_cast<std::ptrdiff_t>(shape[d] - 1) * strides[d];
      strides[d] = -strides[d];
    }
  return base;
}

// The part of x that pad() keeps, and where it goes: per axis, x's first kept index, the
// result's first written index and the count. `amounts` holds (left, right) per axis.
struct PadRegion {
  Shape region;
  std::ptrdiff_t src_base = 0, dst_base = 0;
};

PadRegion pad_region(const Tensor::shape_type& in, const Tensor::shape_type& out,
                     const Ints& amounts) {
  PadRegion r;
  r.region = Shape(in.size(), 0);
  const Strides in_strides = contiguous_strides(in), out_strides = contiguous_strides(out);
  for (std::size_t d = 0; d < in.size(); ++d) {
    const std::int64_t left = amounts[2 * d];
    const std::int64_t src_start = std::max<std::int64_t>(0, -left);
    const std::int64_t dst_start = std::max<std::int64_t>(0, left);
    const std::int64_t count = std::min(static_cast<std::int64_t>(in[d]) - src_start,
                                        static_cast<std::int64_t>(out[d]) - dst_start);
    r.region[d] = static_cast<std::size_t>(std::max<std::int64_t>(0, count));
    r.src_base += src_start * in_strides[d];
    r.dst_base += dst_start * out_strides[d];
  }
  return r;
}

}  // namespace

// y = x with axis i of y being axis dims[i] of x;  dx += dy moved back the same way
Var permute(const Var& x, std::span<const int> dims) {
  const std::size_t rank = x.rank();
  Ints order(dims.size());
  xt::svector<char, 8> seen(rank, 0);
  bool valid = dims.size() == rank;
  for (std::size_t i = 0; valid && i < rank; ++i) {
    const long axis = dims[i] < 0 ? dims[i] + static_cast<long>(rank) : dims[i];
    valid = axis >= 0 && axis < static_cast<long>(rank) && !seen[static_cast<std::size_t>(axis)];
    if (valid) seen[static_cast<std::size_t>(axis)] = 1;
    order[i] = axis;
  }
  if (!valid)
    throw ShapeError("permute: dims " + list_str(dims) + " are not a permutation of the " +
                     std::to_string(rank) + " axes of " + shape_str(x.shape()));
  Shape shape(rank);
  for (std::size_t i = 0; i < rank; ++i) shape[i] = x.dim(static_cast<std::size_t>(order[i]));
  NodeRecorder rec("permute", {x});
  Tensor& y = rec.output(shape);
  const float* src = x.value().data();
  for_each_run(shape, permuted_strides(x.shape(), order), 0, contiguous_strides(shape), 0,
               [&](std::ptrdiff_t from, std::ptrdiff_t to, std::size_t run) {
                 std::copy_n(src + from, run, y.data() + to);
               });
  if (rec.requires_grad()) save_ints(rec, order);
  return rec.finish([](BackwardContext& ctx) {
    if (!ctx.needs_grad(0)) return;
    const auto& shape = ctx.grad_output().shape();
    const float* dy = ctx.grad_output().data();
    float* dx = ctx.grad_input(0).data();
    for_each_run(Shape(shape.begin(), shape.end()),
                 permuted_strides(ctx.input(0).shape(), saved_ints(ctx.saved())), 0,
                 contiguous_strides(shape), 0,
                 [&](std::ptrdiff_t at, std::ptrdiff_t from, std::size_t run) {
                   add_run(dx + at, dy + from, run);
                 });
  });
}

Var permute(const Var& x, std::initializer_list<int> dims) {
  return permute(x, std::span<const int>(dims.begin(), dims.size()));
}

// y = x broadcast to shape (stride 0 along repeated axes);  dx += dy summed over them
Var expand(const Var& x, const Shape& shape) {
  const std::size_t rank = shape.size(), own = x.rank();
  bool fits = own <= rank;
  for (std::size_t i = 0; fits && i < own; ++i) {
    const std::size_t extent = x.dim(own - 1 - i);
    fits = extent == shape[rank - 1 - i] || extent == 1;
  }
  if (!fits)
    throw ShapeError("expand: cannot expand " + shape_str(x.shape()) + " to " + shape_str(shape) +
                     " (each extent must match or be 1, right-aligned)");
  const Strides own_strides = contiguous_strides(x.shape());
  Strides src_strides(rank, 0);
  for (std::size_t i = 0; i < own; ++i)
    if (x.dim(i) != 1) src_strides[rank - own + i] = own_strides[i];
  NodeRecorder rec("expand", {x});
  Tensor& y = rec.output(shape);
  const float* src = x.value().data();
  for_each_run(shape, src_strides, 0, contiguous_strides(shape), 0,
               [&](std::ptrdiff_t from, std::ptrdiff_t to, std::size_t run) {
                 std::copy_n(src + from, run, y.data() + to);
               });
  return rec.finish([](BackwardContext& ctx) {
    if (ctx.needs_grad(0)) accumulate_reduced(ctx.grad_input(0), ctx.grad_output());
  });
}

// y[.., i, ..] = x[.., n - 1 - i, ..] along each flipped axis;  dx += dy flipped back
Var flip(const Var& x, std::span<const int> axes) {
  Ints flipped(x.rank(), 0);
  for (int axis : axes) {
    const std::size_t ax = normalize_axis("flip", axis, x.rank());
    if (flipped[ax] != 0)
      throw ShapeError("flip: axis " + std::to_string(axis) + " is given twice in " +
                       list_str(axes) + " for " + shape_str(x.shape()));
    flipped[ax] = 1;
  }
  const Shape shape(x.shape().begin(), x.shape().end());
  NodeRecorder rec("flip", {x});
  Tensor& y = rec.output(shape);
  Strides src_strides;
  const std::ptrdiff_t base = flipped_strides(shape, flipped, src_strides);
  const float* src = x.value().data();
  for_each_run(shape, src_strides, base, contiguous_strides(shape), 0,
               [&](std::ptrdiff_t from, std::ptrdiff_t to, std::size_t run) {
                 std::copy_n(src + from, run, y.data() + to);
               });
  if (rec.requires_grad()) save_ints(rec, flipped);
  return rec.finish([](BackwardContext& ctx) {
    if (!ctx.needs_grad(0)) return;
    const auto& in = ctx.input(0).shape();
    const Shape shape(in.begin(), in.end());
    Strides strides;
    const std::ptrdiff_t base = flipped_strides(in, saved_ints(ctx.saved()), strides);
    const float* dy = ctx.grad_output().data();
    float* dx = ctx.grad_input(0).data();
    for_each_run(shape, strides, base, contiguous_strides(shape), 0,
                 [&](std::ptrdiff_t at, std::ptrdiff_t from, std::size_t run) {
                   add_run(dx + at, dy + from, run);
                 });
  });
}

Var flip(const Var& x, std::initializer_list<int> axes) {
  return flip(x, std::span<const int>(axes.begin(), axes.size()));
}

// y = value everywhere, then x's kept part copied in at the left amounts (negative: cropped);
//   dx[kept part] += dy[where it went]
Var pad(const Var& x, std::span<const std::int64_t> pads, float value) {
  const std::size_t rank = x.rank();
  if (pads.size() % 2 != 0 || pads.size() > 2 * rank)
    throw ShapeError("pad: needs an even number of amounts, at most two per axis of " +
                     shape_str(x.shape()) + ", got " + list_str(pads));
  // amounts[2d], amounts[2d + 1]: left and right of axis d (pads lists the last axis first).
  Ints amounts(2 * rank, 0);
  for (std::size_t i = 0; i < pads.size() / 2; ++i) {
    amounts[2 * (rank - 1 - i)] = pads[2 * i];
    amounts[2 * (rank - 1 - i) + 1] = pads[2 * i + 1];
  }
  Shape shape(rank);
  for (std::size_t d = 0; d < rank; ++d) {
    const std::int64_t extent =
        static_cast<std::int64_t>(x.dim(d)) + amounts[2 * d] + amounts[2 * d + 1];
    if (extent < 0)
      throw ShapeError("pad: the amounts " + list_str(pads) + " would give axis " +
                       std::to_string(d) + " of " + shape_str(x.shape()) + " the extent " +
                       std::to_string(extent));
    shape[d] = static_cast<std::size_t>(extent);
  }
  NodeRecorder rec("pad", {x});
  Tensor& y = rec.output(shape);
  std::fill(y.begin(), y.end(), value);
  const PadRegion r = pad_region(x.shape(), shape, amounts);
  const float* src = x.value().data();
  for_each_run(r.region, contiguous_strides(x.shape()), r.src_base, contiguous_strides(shape),
               r.dst_base, [&](std::ptrdiff_t from, std::ptrdiff_t to, std::size_t run) {
                 std::copy_n(src + from, run, y.data() + to);
               });
  if (rec.requires_grad()) save_ints(rec, amounts);
  return rec.finish([](BackwardContext& ctx) {
    if (!ctx.needs_grad(0)) return;
    const auto& in = ctx.input(0).shape();
    const auto& out = ctx.grad_output().shape();
    const PadRegion r = pad_region(in, out, saved_ints(ctx.saved()));
    const float* dy = ctx.grad_output().data();
    float* dx = ctx.grad_input(0).data();
    for_each_run(r.region, contiguous_strides(in), r.src_base, contiguous_strides(out), r.dst_base,
                 [&](std::ptrdiff_t at, std::ptrdiff_t from, std::size_t run) {
                   add_run(dx + at, dy + from, run);
                 });
  });
}

Var pad(const Var& x, std::initializer_list<std::int64_t> pads, float value) {
  return pad(x, std::span<const std::int64_t>(pads.begin(), pads.size()), value);
}

}  // namespace recur
