// Internal to the op files: a tensor seen as [outer, extent, inner] around one axis, and small
// kernels over contiguous runs of floats. Not part of the public API.
#pragma once

#include <array>
#include <cstddef>
#include <xtensor/xadapt.hpp>

#include "core/shape.hpp"
#include "core/tensor.hpp"

namespace recur::detail {

/// A row-major tensor split around `axis`: element (o, k, i) lives at (o * extent + k) * inner + i.
/// Reducing or normalising along the axis works on `outer * inner` lanes of `extent` elements;
/// when inner == 1 each lane is a contiguous row.
struct Lanes {
  std::size_t outer = 1;
  std::size_t extent = 1;
  std::size_t inner = 1;
};

/// The shape of a reduction along `axis`: the axis removed, or kept with extent 1.
template <class S>
Shape reduced_shape(const S& shape, std::size_t axis, bool keepdim) {
  Shape result;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i != axis)
      result.push_back(shape[i]);
    else if (keepdim)
      result.push_back(1);
  }
  return result;
}

template <class S>
Lanes lanes_of(const S& shape, std::size_t axis) {
  Lanes lanes;
  for (std::size_t i = 0; i < axis; ++i) lanes.outer *= shape[i];
  lanes.extent = shape[axis];
  for (std::size_t i = axis + 1; i < shape.size(); ++i) lanes.inner *= shape[i];
  return lanes;
}

/// A 1-D xtensor view of `size` floats at `data`, so xtensor expressions (vectorised by xsimd)
/// can run over one row of a tensor without copying it.
inline auto span_of(float* data, std::size_t size) {
  return xt::adapt(data, size, xt::no_ownership(), std::array<std::size_t, 1>{size});
}
inline auto span_of(const float* data, std::size_t size) {
  return xt::adapt(data, size, xt::no_ownership(), std::array<std::size_t, 1>{size});
}

/// Independent accumulators in the reduction kernels below: g++ -O2 turns them into two AVX
/// registers, so two additions are in flight at once (16 beat 8 by ~30% and 32 on a sum).
inline constexpr std::size_t kAccumulators = 16;

/// Adds up the accumulators pairwise.
inline float combine(const float (&acc)[kAccumulators]) {
  float pairs[kAccumulators];
  for (std::size_t j = 0; j < kAccumulators; ++j) pairs[j] = acc[j];
  for (std::size_t width = kAccumulators / 2; width > 0; width /= 2)
    for (std::size_t j = 0; j < width; ++j) pairs[j] += pairs[j + width];
  return pairs[0];
}

/// Sum of `size` contiguous floats, vectorised; blocks are added in double so a
/// million-element sum keeps float precision.
inline float sum_of(const float* data, std::size_t size) {
  double total = 0.0;
  constexpr std::size_t block = 4096;
  for (std::size_t start = 0; start < size; start += block) {
    const std::size_t end = start + block < size ? start + block : size;
    float acc[kAccumulators] = {};
    std::size_t i = start;
    for (; i + kAccumulators <= end; i += kAccumulators)
      for (std::size_t j = 0; j < kAccumulators; ++j) acc[j] += data[i + j];
    float partial = combine(acc);
    for (; i < end; ++i) partial += data[i];
    total += partial;
  }
  return static_cast<float>(total);
}

/// Sum of (a - b)^2 over two runs of `size` floats, blocks added in double as in sum_of.
inline double squared_distance_of(const float* a, const float* b, std::size_t size) {
  double total = 0.0;
  constexpr std::size_t block = 4096;
  for (std::size_t start = 0; start < size; start += block) {
    const std::size_t end = start + block < size ? start + block : size;
    float acc[kAccumulators] = {};
    std::size_t i = start;
    for (; i + kAccumulators <= end; i += kAccumulators)
      for (std::size_t j = 0; j < kAccumulators; ++j) {
        const float d = a[i + j] - b[i + j];
        acc[j] += d * d;
      }
    float partial = combine(acc);
    for (; i < end; ++i) partial += (a[i] - b[i]) * (a[i] - b[i]);
    total += partial;
  }
  return total;
}

/// Sum of (x - center)^2 over `size` contiguous floats, blocks added in double as in sum_of:
/// the second pass of a two-pass variance (layer_norm, var).
inline double squared_deviation_of(const float* data, std::size_t size, float center) {
  double total = 0.0;
  constexpr std::size_t block = 4096;
  for (std::size_t start = 0; start < size; start += block) {
    const std::size_t end = start + block < size ? start + block : size;
    float acc[kAccumulators] = {};
    std::size_t i = start;
    for (; i + kAccumulators <= end; i += kAccumulators)
      for (std::size_t j = 0; j < kAccumulators; ++j) {
        const float d = data[i + j] - center;
        acc[j] += d * d;
      }
    float partial = combine(acc);
    for (; i < end; ++i) partial += (data[i] - center) * (data[i] - center);
    total += partial;
  }
  return total;
}

/// Dot product of two runs of `size` floats (one softmax row; short enough for float).
inline float dot_of(const float* a, const float* b, std::size_t size) {
  float acc[kAccumulators] = {};
  std::size_t i = 0;
  for (; i + kAccumulators <= size; i += kAccumulators)
    for (std::size_t j = 0; j < kAccumulators; ++j) acc[j] += a[i + j] * b[i + j];
  float total = combine(acc);
  for (; i < size; ++i) total += a[i] * b[i];
  return total;
}

/// Largest of `size` >= 1 contiguous floats. (A NaN may be skipped here; it still makes the
/// softmax row NaN through exp.)
inline float max_of(const float* data, std::size_t size) {
  float acc[kAccumulators];
  for (float& a : acc) a = data[0];
  std::size_t i = 0;
  for (; i + kAccumulators <= size; i += kAccumulators)
    for (std::size_t j = 0; j < kAccumulators; ++j)
      acc[j] = acc[j] < data[i + j] ? data[i + j] : acc[j];
  float best = acc[0];
  for (float a : acc) best = best < a ? a : best;
  for (; i < size; ++i) best = best < data[i] ? data[i] : best;
  return best;
}

}  // namespace recur::detail
