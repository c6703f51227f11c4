// Neural-network ops: softmax and log_softmax along an axis, dropout, constant masks, embedding
// lookup and where. Softmax-like ops see the tensor as [outer, extent, inner] lanes around the
// axis (detail::Lanes): along the last axis each lane is a contiguous row, otherwise a lane's
// elements are `inner` apart and the kernels work on whole inner-length rows at a time.
#include "autograd/ops/nn_ops.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include <xtensor/xmath.hpp>
#include <xtensor/xnoalias.hpp>
#include <xtensor/xtensor.hpp>

#include "autograd/ops/axis.hpp"
#include "autograd/ops/broadcast.hpp"
#include "autograd/ops/lanes.hpp"
#include "autograd/recorder.hpp"
#include "core/error.hpp"

namespace recur {
namespace {

using detail::Lanes;
using detail::span_of;

// Softmax (or log-softmax when `log`) of every lane, with the lane's max subtracted first so
// exp never overflows:  m = max x,  s = sum e^(x-m),  y = e^(x-m)/s  or  y = (x - m) - ln s.
void softmax_lanes(const float* x, float* y, const Lanes& lanes, bool log) {
  const std::size_t n = lanes.extent, inner = lanes.inner, block = n * inner;
  if (n == 0) return;
  if (inner == 1) {
    for (std::size_t o = 0; o < lanes.outer; ++o) {
      const auto xr = span_of(x + o * n, n);
      auto yr = span_of(y + o * n, n);
      const float m = detail::max_of(x + o * n, n);
      xt::noalias(yr) = xt::exp(xr - m);
      const float s = detail::sum_of(y + o * n, n);
      if (log)  // (x - m) - ln s, not x - (m + ln s): m + ln s would round away small ln s
        xt::noalias(yr) = (xr - m) - std::log(s);
      else
        xt::noalias(yr) = yr * (1.0f / s);  // 3x faster than yr *= on an adaptor
    }
    return;
  }
  // Lanes across rows: keep the running max and sum of `inner` lanes at once.
  xt::xtensor<float, 1> m = xt::empty<float>({inner}), s = xt::empty<float>({inner});
  for (std::size_t o = 0; o < lanes.outer; ++o) {
    const float* xb = x + o * block;
    float* yb = y + o * block;
    xt::noalias(m) = span_of(xb, inner);
    for (std::size_t k = 1; k < n; ++k)
      xt::noalias(m) = xt::maximum(m, span_of(xb + k * inner, inner));
    std::fill(s.begin(), s.end(), 0.0f);
    for (std::size_t k = 0; k < n; ++k) {
      auto yr = span_of(yb + k * inner, inner);
      xt::noalias(yr) = xt::exp(span_of(xb + k * inner, inner) - m);
      xt::noalias(s) += yr;
    }
    if (log) {
      xt::noalias(s) = xt::log(s);
      for (std::size_t k = 0; k < n; ++k)
        xt::noalias(span_of(yb + k * inner, inner)) = (span_of(xb + k * inner, inner) - m) - s;
    } else {
      xt::noalias(s) = 1.0f / s;
      for (std::size_t k = 0; k < n; ++k) {
        auto yr = span_of(yb + k * inner, inner);
        xt::noalias(yr) = yr * s;
      }
    }
  }
}

// Backward of softmax_lanes, from the output y:
//   softmax:      dx += y * (dy - sum(dy * y))
//   log_softmax:  dx += dy - e^y * sum(dy)
void softmax_lanes_backward(const float* y, const float* dy, float* dx, const Lanes& lanes,
                            bool log) {
  const std::size_t n = lanes.extent, inner = lanes.inner, block = n * inner;
  if (n == 0) return;
  if (inner == 1) {
    for (std::size_t o = 0; o < lanes.outer; ++o) {
      const float* yo = y + o * n;
      const float* dyo = dy + o * n;
      auto yr = span_of(yo, n);
      auto dyr = span_of(dyo, n);
      auto dxr = span_of(dx + o * n, n);
      if (log) {
        const float total = detail::sum_of(dyo, n);
        xt::noalias(dxr) += dyr - xt::exp(yr) * total;
      } else {
        const float inner_product = detail::dot_of(dyo, yo, n);
        xt::noalias(dxr) += yr * (dyr - inner_product);
      }
    }
    return;
  }
  xt::xtensor<float, 1> total = xt::empty<float>({inner});
  for (std::size_t o = 0; o < lanes.outer; ++o) {
    const std::size_t base = o * block;
    std::fill(total.begin(), total.end(), 0.0f);
    for (std::size_t k = 0; k < n; ++k) {
      const auto dyr = span_of(dy + base + k * inner, inner);
      if (log)
        xt::noalias(total) += dyr;
      else
        xt::noalias(total) += dyr * span_of(y + base + k * inner, inner);
    }
    for (std::size_t k = 0; k < n; ++k) {
      const auto yr = span_of(y + base + k * inner, inner);
      const auto dyr = span_of(dy + base + k * inner, inner);
      auto dxr = span_of(dx + base + k * inner, inner);
      if (log)
        xt::noalias(dxr) += dyr - xt::exp(yr) * total;
      else
        xt::noalias(dxr) += yr * (dyr - total);
    }
  }
}

Var softmax_op(const char* op, const Var& x, int axis, bool log) {
  const Lanes lanes = detail::lanes_of(x.shape(), normalize_axis(op, axis, x.rank()));
  NodeRecorder rec(op, {x});
  Tensor& y = rec.output(x.shape());
  softmax_lanes(x.value().data(), y.data(), lanes, log);
  return rec.finish([lanes, log](BackwardContext& ctx) {
    if (ctx.needs_grad(0))
      softmax_lanes_backward(ctx.output().data(), ctx.grad_output().data(),
                             ctx.grad_input(0).data(), lanes, log);
  });
}

}  // namespace

Var softmax(const Var& x, int axis) { return softmax_op("softmax", x, axis, false); }

Var log_softmax(const Var& x, int axis) { return softmax_op("log_softmax", x, axis, true); }

// Inverted dropout: mask = (u >= p) / (1 - p), y = x * mask;  dx += dy * mask (the saved mask).
Var dropout(const Var& x, float p, bool training, Generator& generator) {
  if (!(p >= 0.0f && p < 1.0f))
    throw ValueError("dropout: the drop probability p must be in [0, 1), got " +
                     std::to_string(p));
  if (!training || p == 0.0f) return x;  // the identity, as torch.nn.functional.dropout
  NodeRecorder rec("dropout", {x});
  Tensor& mask = rec.saved(x.shape());
  // Keep an element when a 24-bit uniform integer u satisfies u / 2^24 >= p, i.e. u >= p * 2^24
  // (exact: p * 2^24 is a float). Each 64-bit draw gives two independent 24-bit integers.
  const float keep_scale = 1.0f / (1.0f - p);
  const auto threshold = static_cast<std::uint64_t>(std::ceil(static_cast<double>(p) * 0x1p24));
  float* m = mask.data();
  const std::size_t size = mask.size();
  std::size_t i = 0;
  for (; i + 2 <= size; i += 2) {
    const std::uint64_t bits = generator.next_u64();
    // Branch-free: a random keep/drop branch mispredicts half the time.
    m[i] = keep_scale * static_cast<float>((bits >> 40) >= threshold);
    m[i + 1] = keep_scale * static_cast<float>(((bits >> 16) & 0xFFFFFF) >= threshold);
  }
  if (i < size) m[i] = (generator.next_u64() >> 40) >= threshold ? keep_scale : 0.0f;
  xt::noalias(rec.output(x.shape())) = x.value() * mask;
  return rec.finish([](BackwardContext& ctx) {
    if (ctx.needs_grad(0)) xt::noalias(ctx.grad_input(0)) += ctx.grad_output() * ctx.saved();
  });
}

namespace {

// Masks that are constant over trailing blocks of the value they multiply or select in, like a
// [B, 1] per-sequence mask against [B, H] (the padded-step case), are applied block by block:
// xtensor's broadcasting path is element by element and ~13x slower than a same-shape expression.
// Below this many elements per block, the per-block overhead outweighs that.
constexpr std::size_t kMinBlock = 8;

// The number of contiguous elements of `shape` that one mask element covers, when `mask` matches
// `shape` on its leading axes and is 1 on the rest (after right-aligning the two, NumPy-style);
// 0 when the mask has any other shape or would enlarge `shape`.
std::size_t trailing_block(const Tensor::shape_type& mask, const Tensor::shape_type& shape) {
  if (mask.size() > shape.size()) return 0;
  const std::size_t lead = shape.size() - mask.size();
  const auto mask_extent = [&](std::size_t i) { return i < lead ? 1 : mask[i - lead]; };
  // The longest prefix on which the mask matches is the only candidate split.
  std::size_t p = 0;
  while (p < shape.size() && mask_extent(p) == shape[p]) ++p;
  std::size_t block = 1;
  for (std::size_t i = p; i < shape.size(); ++i) {
    if (mask_extent(i) != 1) return 0;
    block *= shape[i];
  }
  return block;
}

}  // namespace

// y = x * mask (mask constant, broadcast);  dx += dy * mask, reduced to x's shape
Var mul_mask(const Var& x, const Tensor& mask) {
  const Shape shape = broadcast_shapes("mul_mask", x.shape(), mask.shape());
  const std::size_t found = trailing_block(mask.shape(), x.shape());
  const std::size_t block = found >= kMinBlock ? found : 0;  // 0: xtensor's expression path
  NodeRecorder rec("mul_mask", {x});
  Tensor& y = rec.output(shape);
  if (block > 0) {
    for (std::size_t j = 0; j < mask.size(); ++j)
      xt::noalias(span_of(y.data() + j * block, block)) =
          span_of(x.value().data() + j * block, block) * mask.data()[j];
  } else {
    xt::noalias(y) = x.value() * mask;
  }
  if (rec.requires_grad()) xt::noalias(rec.saved(mask.shape())) = mask;
  return rec.finish([block](BackwardContext& ctx) {
    if (!ctx.needs_grad(0)) return;
    const Tensor& mask = ctx.saved();
    if (block == 0) {
      accumulate(ctx.grad_input(0), ctx.grad_output() * mask);
      return;
    }
    float* grad_x = ctx.grad_input(0).data();
    const float* grad_y = ctx.grad_output().data();
    for (std::size_t j = 0; j < mask.size(); ++j) {
      auto target = span_of(grad_x + j * block, block);
      xt::noalias(target) += span_of(grad_y + j * block, block) * mask.data()[j];
    }
  });
}

// y[..., :] = weight[indices[...], :]:  indices [S...], weight [num, dim] -> [S..., dim]
//   dweight[indices[j], :] += dy[j, :] for every position j, except rows equal to padding_index
Var embedding(const Var& weight, const IndexTensor& indices, std::int64_t padding_index) {
  if (weight.rank() != 2)
    throw ShapeError("embedding: the weight must be 2-D [num, dim], got " +
                     shape_str(weight.shape()));
  const std::size_t num = weight.dim(0), dim = weight.dim(1), count = indices.size();
  const auto rows = static_cast<std::int64_t>(num);
  if (padding_index >= rows)
    throw ValueError("embedding: padding_index " + std::to_string(padding_index) +
                     " is out of range for a table of " + std::to_string(num) + " rows");
  const std::int64_t* index = indices.data();
  for (std::size_t j = 0; j < count; ++j)
    if (index[j] < 0 || index[j] >= rows)
      throw ValueError("embedding: index " + std::to_string(index[j]) + " (at position " +
                       std::to_string(j) + ") is out of range for a table of " +
                       std::to_string(num) + " rows (valid: 0 to " + std::to_string(rows - 1) +
                       ")");
  Shape shape(indices.shape().begin(), indices.shape().end());
  shape.push_back(dim);
  NodeRecorder rec("embedding", {weight});
  Tensor& y = rec.output(shape);
  const float* table = weight.value().data();
  for (std::size_t j = 0; j < count; ++j)
    std::copy_n(table + static_cast<std::size_t>(index[j]) * dim, dim, y.data() + j * dim);
  if (rec.requires_grad()) {
    // The rule may not capture the index tensor, so its int64 bits are kept in the node's saved
    // float buffer (two floats per index): exact for any table size, and reused across steps.
    Tensor& saved = rec.saved(Shape{2 * count});
    if (count > 0) std::memcpy(saved.data(), index, count * sizeof(std::int64_t));
  }
  return rec.finish([count, dim, padding_index](BackwardContext& ctx) {
    if (!ctx.needs_grad(0)) return;
    std::int64_t row = 0;
    const float* saved = ctx.saved().data();
    const float* grad_y = ctx.grad_output().data();
    float* grad_weight = ctx.grad_input(0).data();
    for (std::size_t j = 0; j < count; ++j) {
      std::memcpy(&row, saved + 2 * j, sizeof row);
      if (row == padding_index) continue;
      auto target = span_of(grad_weight + static_cast<std::size_t>(row) * dim, dim);
      xt::noalias(target) += span_of(grad_y + j * dim, dim);
    }
  });
}


// y = mask ? a : b (mask constant, all three broadcast);  da += dy where mask, db += dy elsewhere
Var where(const Tensor& mask, const Var& a, const Var& b) {
  const Shape ab = broadcast_shapes("where", a.shape(), b.shape());
  const Shape shape = broadcast_shapes("where", mask.shape(), ab);
  // Block by block when a and b have the output's shape and the mask is constant over blocks.
  const auto same = [&](const Tensor::shape_type& s) {
    return std::equal(s.begin(), s.end(), shape.begin(), shape.end());
  };
  const std::size_t found =
      same(a.shape()) && same(b.shape()) ? trailing_block(mask.shape(), a.shape()) : 0;
  const std::size_t block = found >= kMinBlock ? found : 0;  // 0: xtensor's expression path
  NodeRecorder rec("where", {a, b});
  Tensor& y = rec.output(shape);
  if (block > 0) {
    for (std::size_t j = 0; j < mask.size(); ++j) {
      const Tensor& source = mask.data()[j] != 0.0f ? a.value() : b.value();
      std::copy_n(source.data() + j * block, block, y.data() + j * block);
    }
  } else {
    xt::noalias(y) = xt::where(xt::not_equal(mask, 0.0f), a.value(), b.value());
  }
  if (rec.requires_grad()) xt::noalias(rec.saved(mask.shape())) = mask;
  return rec.finish([block](BackwardContext& ctx) {
    const Tensor& mask = ctx.saved();
    const Tensor& grad_y = ctx.grad_output();
    if (block > 0) {
      for (std::size_t j = 0; j < mask.size(); ++j) {
        const std::size_t input = mask.data()[j] != 0.0f ? 0 : 1;
        if (!ctx.needs_grad(input)) continue;
        auto target = span_of(ctx.grad_input(input).data() + j * block, block);
        xt::noalias(target) += span_of(grad_y.data() + j * block, block);
      }
      return;
    }
    if (ctx.needs_grad(0))
      accumulate(ctx.grad_input(0), xt::where(xt::not_equal(mask, 0.0f), grad_y, 0.0f));
    if (ctx.needs_grad(1))
      accumulate(ctx.grad_input(1), xt::where(xt::not_equal(mask, 0.0f), 0.0f, grad_y));
  });
}

}  // namespace recur
