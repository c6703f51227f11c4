/// @file
/// Seedable random numbers: the same seed gives the same numbers on every run and machine.
#pragma once

#include <array>
#include <cstdint>

#include "core/tensor.hpp"

namespace recur {

/// A small, fast generator (xoshiro256**) whose whole state is four integers, so a checkpoint
/// can store it and a resumed run continues the exact same stream. The distributions are written
/// here rather than taken from `<random>`, whose algorithms differ between standard libraries.
///
/// @code
/// recur::Generator gen(42);
/// recur::Tensor w = gen.uniform({4, 3}, -0.5f, 0.5f);
/// @endcode
class Generator {
 public:
  /// The complete state; restoring it with set_state() replays the same numbers.
  using State = std::array<std::uint64_t, 4>;

  /// A generator seeded with `seed`.
  explicit Generator(std::uint64_t seed = 0x5eed);

  /// Restarts the stream from `seed`.
  void seed(std::uint64_t seed);
  /// The next 64 random bits.
  std::uint64_t next_u64();
  /// A float uniform in [0, 1) with 24 random bits.
  float next_float();
  /// A float uniform in [low, high).
  float uniform(float low, float high);
  /// A normally distributed float (Box-Muller).
  float normal(float mean, float stddev);
  /// An integer uniform in [0, bound); `bound` must be positive.
  std::uint64_t below(std::uint64_t bound);

  /// A tensor of the given shape, uniform in [low, high).
  Tensor uniform(const Shape& shape, float low, float high);
  /// A tensor of the given shape, normal with this mean and standard deviation.
  Tensor normal(const Shape& shape, float mean, float stddev);

  /// The current state.
  State state() const { return state_; }
  /// Restores a state returned by state().
  /// @throws recur::ValueError for the all-zero state.
  void set_state(const State& state);

 private:
  State state_{};
};

/// The process-wide generator that layers use for initialisation and dropout.
/// It is one of recur's few pieces of global state; each thread has its own.
Generator& default_generator();

/// Seeds the default generator (of the calling thread), like `torch.manual_seed`.
void manual_seed(std::uint64_t seed);

}  // namespace recur
