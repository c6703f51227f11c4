// The main experiment: every model at every gap with several seeds, and what it says.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "attention_model.hpp"
#include "horizon_stats.hpp"
#include "models.hpp"
#include "training.hpp"

namespace recur::examples {

/// What to sweep.
struct SweepOptions {
  std::vector<ModelKind> models = all_models();  ///< Every model, the baseline last.
  std::vector<std::size_t> gaps{1, 2, 4, 8, 16, 32, 64};
  std::size_t seeds = 3;                 ///< Independent runs per model and gap.
  std::uint64_t base_seed = 1;           ///< Seed of run s is base_seed + s.
  std::size_t test_sequences = 1000;     ///< Fresh sequences for the test accuracy.
  ModelOptions model;                    ///< Sizes (kind is set per run).
  TrainOptions train;                    ///< Budget, the same for every model.
  std::size_t workers = 1;               ///< Runs trained at once, each on its own thread.
  /// Past `run_every_gap_to`, a model is run at a gap only if it beat the baseline at one of
  /// the `stop_after_failures` gaps before it (0: run every model at every gap); gaps where the
  /// baseline solves the task (it sees the key) do not count. A model that has lost the key at
  /// two gaps in a row does not find it at a longer one, and its runs at the longest gaps
  /// would cost most of the sweep's time.
  std::size_t stop_after_failures = 0;
  std::size_t run_every_gap_to = 64;     ///< Gaps up to this are run for every model.
  /// The longest gap the attention model is run at (at most its max_gap()): its training step
  /// holds [T, T] scores, 1.9 GiB at gap 512 and batch 32.
  std::size_t attention_max_gap = max_gap(ModelKind::attention);
};

/// The longest gap the sweep runs `kind` at: max_gap(kind), and for the attention model at
/// most SweepOptions::attention_max_gap.
std::size_t longest_gap(const SweepOptions& options, ModelKind kind);

/// One trained model.
struct RunRecord {
  ModelKind model = ModelKind::lstm;
  std::size_t gap = 0;
  std::uint64_t seed = 0;
  double accuracy = 0.0;           ///< Test accuracy on fresh sequences.
  TrainResult training;            ///< Loss, sequences needed, time.
};

/// Called during training with (training steps done over the whole sweep, recent loss).
using StepCallback = std::function<void(std::size_t, double)>;

/// Trains and tests every (model, gap, seed), `options.workers` runs at a time, but for gaps
/// past longest_gap(options, model), which are skipped, and those after a model has
/// stopped (SweepOptions::stop_after_failures); the same seed gives the same numbers whatever
/// the number of workers. The runs come back ordered by gap, then model, then seed. Callbacks
/// are called from one thread at a time; the steps of runs not run count as done in `on_step`,
/// so that it ends at the whole budget.
std::vector<RunRecord> run_sweep(const TaskOptions& task, const SweepOptions& options,
                                 const StepCallback& on_step = {});

/// Trains one model of `kind` (seeded by `seed`) at `gap`, with this sweep's sizes and budget.
std::unique_ptr<SequenceClassifier> train_one(const TaskOptions& task, const SweepOptions& options,
                                              ModelKind kind, std::size_t gap, std::uint64_t seed,
                                              TrainResult* result = nullptr,
                                              const TrainCallback& on_step = {});

/// One training for train_many: a model kind at a gap, with a sweep's sizes and budget.
struct TrainingJob {
  SweepOptions options;
  ModelKind kind = ModelKind::lstm;
  std::size_t gap = 1;
  std::uint64_t seed = 1;
};

/// A trained model and what its training found.
struct TrainedModel {
  std::unique_ptr<SequenceClassifier> model;
  TrainResult result;
};

/// Trains every job, `workers` at a time, under one progress display labelled `label`; the
/// models come back in the jobs' order.
std::vector<TrainedModel> train_many(const TaskOptions& task, const std::vector<TrainingJob>& jobs,
                                     std::size_t workers, const std::string& label);

/// The runs of one model at one gap, summarised.
struct CellSummary {
  SeedSummary accuracy;
  double success_share = 0.0;            ///< Share of seeds reaching the solved accuracy on test.
  double median_sequences = -1.0;        ///< Median training sequences to solve, over seeds that did.
};

/// Summary of (model, gap) over seeds.
CellSummary summarize_cell(const std::vector<RunRecord>& runs, ModelKind model, std::size_t gap,
                           double solved_accuracy);

/// Whether the model was run at `gap` in `runs`.
bool was_run(const std::vector<RunRecord>& runs, ModelKind model, std::size_t gap);

/// A model's effective memory horizon: the largest gap at which it beats the baseline
/// significantly (0 when it never does).
std::size_t effective_horizon(const std::vector<RunRecord>& runs, ModelKind model,
                              const std::vector<std::size_t>& gaps, double solved_accuracy);

}  // namespace recur::examples
