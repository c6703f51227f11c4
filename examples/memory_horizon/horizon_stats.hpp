// Summaries over seeds, and the test that decides a model's effective memory horizon.
#pragma once

#include <cstddef>
#include <vector>

namespace recur::examples {

/// Mean and spread of one quantity over seeds.
struct SeedSummary {
  double mean = 0.0;
  double stddev = 0.0;  ///< Sample standard deviation (n - 1); 0 for one seed.
  std::size_t count = 0;

  /// Standard error of the mean.
  double standard_error() const;
};

/// Mean, sample standard deviation and count of `values`.
SeedSummary summarize(const std::vector<double>& values);

/// True when `model` beats `baseline` by more than `min_margin` and by more than twice the
/// standard error of the difference of the two means (Welch's, about a 95% one-sided margin):
/// an advantage that the seeds' spread does not explain away.
bool beats_significantly(const SeedSummary& model, const SeedSummary& baseline,
                         double min_margin = 0.02);

}  // namespace recur::examples
