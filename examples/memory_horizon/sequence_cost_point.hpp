// One point of the sequence-cost measurement: a model's training step on sequences of one
// length, timed, with the process's peak resident memory. The driver (sequence_cost.cpp) runs
// every point in a process of its own, so that each peak is that point's alone.
#pragma once

#include <cstddef>
#include <string>

namespace recur::examples {

/// What to measure.
struct PointOptions {
  std::string model = "lstm";       ///< "lstm" or "attention" (any memory_horizon model name).
  std::size_t length = 64;          ///< T, positions per sequence (the key and a gap of T - 1).
  std::size_t batch = 2;            ///< Sequences per step.
  std::size_t hidden = 32;          ///< Width of every model (the sweep's).
  std::size_t max_positions = 4096; ///< The attention model's position table, the same at every T.
  std::size_t min_steps = 3;        ///< Timed steps, at least.
  double min_seconds = 2.0;         ///< ... and at least this much CPU time, up to 50 steps.
  int threads = 1;                  ///< recur's team (OpenBLAS: OPENBLAS_NUM_THREADS).
};

/// What one point measured.
struct PointResult {
  double cpu_ms = 0.0;          ///< Median CPU time of a training step (this process, ms).
  double wall_ms = 0.0;         ///< Median wall time of a training step (ms).
  std::size_t steps = 0;        ///< Timed steps (after one untimed warm-up step).
  double rss_before_mib = 0.0;  ///< Peak resident memory before the first step (MiB).
  double rss_peak_mib = 0.0;    ///< Peak resident memory at the end (MiB).
  std::size_t parameters = 0;   ///< Trainable numbers in the model.
};

/// Builds the model (seed 1), draws one batch of sequences of `length` tokens, and times
/// training steps as memory_horizon's train() takes them: forward, cross-entropy, backward,
/// gradient clipping at 1, Adam.
PointResult measure_point(const PointOptions& options);

}  // namespace recur::examples
