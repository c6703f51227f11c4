// Test inputs: tensors with given values, and seeded random tensors.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "core/random.hpp"
#include "core/tensor.hpp"

namespace recur::test {

/// A tensor of `shape` holding `values` in row-major order (braces like {{1}, {2}} are ambiguous
/// between a column and a list of shapes for xtensor's constructors). Missing values are 0.
inline Tensor shaped(const Shape& shape, const std::vector<float>& values) {
  Tensor tensor = zeros(shape);
  std::copy_n(values.begin(), std::min(values.size(), tensor.size()), tensor.begin());
  return tensor;
}

/// Uniform in [low, high) from a generator seeded with `seed`: the same tensor on every run.
inline Tensor random_tensor(const Shape& shape, std::uint64_t seed, float low = -1.0f,
                            float high = 1.0f) {
  Generator generator(seed);
  return generator.uniform(shape, low, high);
}

/// Magnitudes uniform in [low, high) with random signs: inputs kept away from a kink at 0 (abs,
/// relu, leaky_relu) by more than gradcheck's step.
inline Tensor away_from_zero(const Shape& shape, std::uint64_t seed, float low = 0.2f,
                             float high = 2.0f) {
  Generator generator(seed);
  Tensor values = generator.uniform(shape, low, high);
  for (float& v : values) v = generator.next_float() < 0.5f ? -v : v;
  return values;
}

/// Whether `a` and `b` hold the same floats bit for bit (what a split over threads must keep).
inline bool same_bits(const Tensor& a, const Tensor& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

}  // namespace recur::test
