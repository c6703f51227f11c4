#include "core/random.hpp"

#include <cmath>
#include <numbers>

#include "core/error.hpp"

namespace recur {
namespace {

std::uint64_t splitmix64(std::uint64_t& x) {
  std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

}  // namespace

Generator::Generator(std::uint64_t seed_value) { seed(seed_value); }

void Generator::seed(std::uint64_t seed_value) {
  // splitmix64 spreads any seed (even 0) over the four words, as xoshiro's authors advise.
  std::uint64_t x = seed_value;
  for (auto& word : state_) word = splitmix64(x);
}

std::uint64_t Generator::next_u64() {
  const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
  const std::uint64_t t = state_[1] << 17;
  state_[2] ^= state_[0];
  state_[3] ^= state_[1];
  state_[1] ^= state_[2];
  state_[0] ^= state_[3];
  state_[2] ^= t;
  state_[3] = rotl(state_[3], 45);
  return result;
}

float Generator::next_float() { return static_cast<float>(next_u64() >> 40) * 0x1.0p-24f; }

float Generator::uniform(float low, float high) { return low + (high - low) * next_float(); }

float Generator::normal(float mean, float stddev) {
  // Box-Muller on (0, 1] so the logarithm is finite.
  const double u1 = (static_cast<double>(next_u64() >> 11) + 1.0) * 0x1.0p-53;
  const double u2 = static_cast<double>(next_u64() >> 11) * 0x1.0p-53;
  const double radius = std::sqrt(-2.0 * std::log(u1));
  return mean + stddev * static_cast<float>(radius * std::cos(2.0 * std::numbers::pi * u2));
}

std::uint64_t Generator::below(std::uint64_t bound) {
  if (bound == 0) throw ValueError("Generator::below: the bound must be positive");
  // Rejection sampling removes the modulo bias.
  const std::uint64_t limit = ~std::uint64_t{0} - (~std::uint64_t{0} % bound);
  std::uint64_t value;
  do value = next_u64();
  while (value >= limit);
  return value % bound;
}

Tensor Generator::uniform(const Shape& shape, float low, float high) {
  Tensor tensor(shape);
  for (auto& value : tensor) value = uniform(low, high);
  return tensor;
}

Tensor Generator::normal(const Shape& shape, float mean, float stddev) {
  Tensor tensor(shape);
  for (auto& value : tensor) value = normal(mean, stddev);
  return tensor;
}

void Generator::set_state(const State& state) {
  if (state[0] == 0 && state[1] == 0 && state[2] == 0 && state[3] == 0)
    throw ValueError("Generator::set_state: the all-zero state is not a valid xoshiro256** state");
  state_ = state;
}

Generator& default_generator() {
  thread_local Generator generator;
  return generator;
}

void manual_seed(std::uint64_t seed) { default_generator().seed(seed); }

}  // namespace recur
