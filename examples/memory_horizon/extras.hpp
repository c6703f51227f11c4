// Beyond the question: what moves the horizon, and what limits it.
#pragma once

#include <ostream>
#include <string>

#include "sweep.hpp"
#include "task.hpp"

namespace recur::examples {

/// Runs the experiments beyond the main sweep and writes their CSVs and plots to `out_dir`:
/// - budget.csv: the LSTM's accuracy by gap for half and double the training budget;
/// - forget_bias.csv: the LSTM with forget-gate bias 1 against PyTorch's 0;
/// - curriculum.csv: a long gap trained directly against a curriculum of growing gaps, for the
///   LSTM and the three cells highest on the sweep's leaderboard besides it;
/// - generalization.csv and .png: for the same four cells, accuracy by training gap and test gap
///   (test gaps far longer than any trained on, read as a stream in chunks), which separates
///   what a trained network can hold from what gradient descent can find;
/// - saliency.csv and .png: how strongly the correct logit depends on each input position;
/// - longest_gap.csv: the longest gap a curriculum-trained LSTM still solves at 99%.
/// `sweep_runs` are the main sweep's runs (the budget and forget-bias comparisons reuse them).
void run_extras(const TaskOptions& task, const SweepOptions& sweep,
                const std::vector<RunRecord>& sweep_runs, bool full, const std::string& out_dir,
                std::ostream& out);

}  // namespace recur::examples
