// Turning the sweep's runs into what people read: a terminal table, CSV files, a plot, and one
// sentence per model stating its effective memory horizon.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "sweep.hpp"
#include "task.hpp"

namespace recur::examples {

/// Prints accuracy (mean ± spread over seeds), success share and sequences needed, a row per
/// gap and a column per model.
void print_table(std::ostream& out, const std::vector<RunRecord>& runs, const SweepOptions& options);

/// Writes `runs.csv` (one line per run) and `summary.csv` (one line per model and gap) in `dir`.
void write_sweep_csv(const std::string& dir, const std::vector<RunRecord>& runs,
                     const SweepOptions& options);

/// Renders `accuracy_vs_gap.png` and `.svg` in `dir` from summary.csv: accuracy against gap on
/// a log axis, a line per model with the seeds' spread, the baseline and chance drawn.
bool plot_accuracy_vs_gap(const std::string& dir, const SweepOptions& options,
                          const TaskOptions& task);

/// One sentence per model: its effective memory horizon, or that it never beat the baseline.
std::vector<std::string> horizon_sentences(const std::vector<RunRecord>& runs,
                                           const SweepOptions& options);

}  // namespace recur::examples
