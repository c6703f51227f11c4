#include "horizon_stats.hpp"

#include <algorithm>
#include <cmath>

namespace recur::examples {

double SeedSummary::standard_error() const {
  return count > 0 ? stddev / std::sqrt(static_cast<double>(count)) : 0.0;
}

SeedSummary summarize(const std::vector<double>& values) {
  SeedSummary summary;
  summary.count = values.size();
  if (values.empty()) return summary;
  for (double v : values) summary.mean += v;
  summary.mean /= static_cast<double>(values.size());
  if (values.size() > 1) {
    double squares = 0.0;
    for (double v : values) squares += (v - summary.mean) * (v - summary.mean);
    summary.stddev = std::sqrt(squares / static_cast<double>(values.size() - 1));
  }
  return summary;
}

bool beats_significantly(const SeedSummary& model, const SeedSummary& baseline,
                         double min_margin) {
  const double difference = model.mean - baseline.mean;
  const double error = std::sqrt(model.standard_error() * model.standard_error() +
                                 baseline.standard_error() * baseline.standard_error());
  return difference > std::max(min_margin, 2.0 * error);
}

}  // namespace recur::examples
