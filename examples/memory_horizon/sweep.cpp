#include "sweep.hpp"

#include <algorithm>
#include <functional>
#include <mutex>
#include <numeric>

#include "attention_model.hpp"
#include "core/progress.hpp"
#include "core/random.hpp"
#include "parallel.hpp"

namespace recur::examples {
namespace {

// The steps done by runs training in parallel, summed for one progress display. Each run reports
// its own step count and the sum moves by the difference, under one lock that also serialises
// the reports. A run that stops early (solved, or gave up) counts its whole budget as done when
// it finishes, so the sum ends at the total budget.
class StepTally {
 public:
  // Called under the lock with the sum and the reporting run's loss.
  using Report = std::function<void(std::size_t steps_done, double loss)>;
  explicit StepTally(Report report) : report_(std::move(report)) {}

  // One run's share of the sum.
  class Run {
   public:
    explicit Run(StepTally& tally) : tally_(tally) {}
    // The run has done `step` steps.
    void at(std::size_t step, double loss) {
      std::lock_guard lock(tally_.mutex_);
      advance_to(step, loss);
    }
    // The run has ended: its whole `budget` counts as done.
    void finish(std::size_t budget, double loss) {
      std::lock_guard lock(tally_.mutex_);
      advance_to(budget, loss);
    }

   private:
    void advance_to(std::size_t step, double loss) {
      tally_.steps_done_ += step - reported_;
      tally_.last_loss_ = loss;
      reported_ = step;
      tally_.report_(tally_.steps_done_, loss);
    }
    StepTally& tally_;
    std::size_t reported_ = 0;
  };

  // Steps of runs that will not run at all count as done.
  void skip(std::size_t steps) {
    std::lock_guard lock(mutex_);
    steps_done_ += steps;
    report_(steps_done_, last_loss_);
  }

 private:
  Report report_;
  std::mutex mutex_;
  std::size_t steps_done_ = 0;
  double last_loss_ = 0.0;
};

}  // namespace

std::unique_ptr<SequenceClassifier> train_one(const TaskOptions& task, const SweepOptions& options,
                                              ModelKind kind, std::size_t gap, std::uint64_t seed,
                                              TrainResult* result, const TrainCallback& on_step) {
  // Initialisation and data depend on the seed and the gap only, so every model of a seed
  // trains on the same data stream and a rerun reproduces every number.
  manual_seed(seed);
  ModelOptions model_options = options.model;
  model_options.kind = kind;
  model_options.sequence_length = gap + 2;  // key, gap, query
  auto model = make_model(model_options);
  Generator data(seed * 1000003 + gap);
  const TrainResult trained = train(*model, task, gap, options.train, data, on_step);
  if (result) *result = trained;
  return model;
}

std::size_t longest_gap(const SweepOptions& options, ModelKind kind) {
  return kind == ModelKind::attention ? std::min(max_gap(kind), options.attention_max_gap)
                                      : max_gap(kind);
}

std::vector<RunRecord> run_sweep(const TaskOptions& task, const SweepOptions& options,
                                 const StepCallback& on_step) {
  // The waves of runs: every gap at once when no model can stop; otherwise the gaps up to
  // run_every_gap_to together, then each longer gap alone, once the gaps before it are known.
  std::vector<std::size_t> gaps = options.gaps;
  std::sort(gaps.begin(), gaps.end());
  gaps.erase(std::unique(gaps.begin(), gaps.end()), gaps.end());
  const bool has_baseline = std::find(options.models.begin(), options.models.end(),
                                      ModelKind::baseline) != options.models.end();
  const bool can_stop = options.stop_after_failures > 0 && has_baseline;
  std::vector<std::vector<std::size_t>> waves;
  for (std::size_t gap : gaps) {
    if (waves.empty() || (can_stop && gap > options.run_every_gap_to)) waves.emplace_back();
    waves.back().push_back(gap);
  }

  StepTally tally([&](std::size_t steps_done, double loss) {
    if (on_step) on_step(steps_done, loss);
  });
  std::vector<RunRecord> runs;
  std::vector<ModelKind> running = options.models;
  std::vector<std::size_t> failures_in_a_row(options.models.size(), 0);
  for (std::size_t w = 0; w < waves.size(); ++w) {
    const std::size_t first = runs.size();
    for (std::size_t gap : waves[w])
      for (ModelKind kind : running) {
        if (gap > longest_gap(options, kind)) continue;  // attention past its limit: not run
        for (std::size_t s = 0; s < options.seeds; ++s)
          runs.push_back({.model = kind, .gap = gap, .seed = options.base_seed + s});
      }
    // Longest sequences first, so the workers do not end waiting on one long run.
    std::vector<std::size_t> order(runs.size() - first);
    std::iota(order.begin(), order.end(), first);
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return runs[a].gap > runs[b].gap; });
    parallel_for(options.workers, order.size(), [&](std::size_t i) {
      RunRecord& record = runs[order[i]];
      StepTally::Run run(tally);
      auto model = train_one(task, options, record.model, record.gap, record.seed, &record.training,
                             [&](std::size_t step, double loss) { run.at(step, loss); });
      Generator test_data(record.seed * 7919 + record.gap + 17);
      record.accuracy = test_accuracy(*model, task, record.gap, options.test_sequences, test_data);
      run.finish(options.train.steps, record.training.final_loss);
    });
    if (!can_stop || w + 1 == waves.size()) continue;

    // Which models go on to the next gap: those that beat the baseline at one of the last
    // stop_after_failures gaps. The budgets of the runs a stopped model leaves out count as done.
    std::vector<ModelKind> going_on;
    for (std::size_t m = 0; m < options.models.size(); ++m) {
      const ModelKind kind = options.models[m];
      if (std::find(running.begin(), running.end(), kind) == running.end()) continue;
      for (std::size_t gap : waves[w]) {
        const SeedSummary baseline =
            summarize_cell(runs, ModelKind::baseline, gap, options.train.solved_accuracy).accuracy;
        // Where the baseline sees the key and solves the task, nothing can beat it: no count.
        if (!was_run(runs, kind, gap) || baseline.mean >= options.train.solved_accuracy) continue;
        const bool beat = beats_significantly(
            summarize_cell(runs, kind, gap, options.train.solved_accuracy).accuracy, baseline);
        failures_in_a_row[m] = beat ? 0 : failures_in_a_row[m] + 1;
      }
      if (kind == ModelKind::baseline || failures_in_a_row[m] < options.stop_after_failures) {
        going_on.push_back(kind);
        continue;
      }
      std::size_t left_out = 0;
      for (std::size_t later = w + 1; later < waves.size(); ++later)
        for (std::size_t gap : waves[later])
          if (gap <= longest_gap(options, kind)) left_out += options.seeds * options.train.steps;
      tally.skip(left_out);
    }
    running = std::move(going_on);
  }
  std::stable_sort(runs.begin(), runs.end(),
                   [](const RunRecord& a, const RunRecord& b) { return a.gap < b.gap; });
  return runs;
}

std::vector<TrainedModel> train_many(const TaskOptions& task, const std::vector<TrainingJob>& jobs,
                                     std::size_t workers, const std::string& label) {
  std::size_t budget = 0;
  for (const TrainingJob& job : jobs) budget += job.options.train.steps;
  Progress progress({.total = budget, .label = label});
  StepTally tally([&](std::size_t steps_done, double loss) { progress.update(steps_done, loss); });
  std::vector<TrainedModel> trained(jobs.size());
  parallel_for(workers, jobs.size(), [&](std::size_t i) {
    const TrainingJob& job = jobs[i];
    StepTally::Run run(tally);
    trained[i].model = train_one(task, job.options, job.kind, job.gap, job.seed, &trained[i].result,
                                 [&](std::size_t step, double loss) { run.at(step, loss); });
    run.finish(job.options.train.steps, trained[i].result.final_loss);
  });
  progress.finish();
  return trained;
}

CellSummary summarize_cell(const std::vector<RunRecord>& runs, ModelKind model, std::size_t gap,
                           double solved_accuracy) {
  std::vector<double> accuracies, sequences;
  std::size_t solved = 0;
  for (const RunRecord& run : runs) {
    if (run.model != model || run.gap != gap) continue;
    accuracies.push_back(run.accuracy);
    if (run.accuracy >= solved_accuracy) ++solved;
    if (run.training.sequences_to_solve >= 0)
      sequences.push_back(static_cast<double>(run.training.sequences_to_solve));
  }
  CellSummary summary;
  summary.accuracy = summarize(accuracies);
  if (!accuracies.empty())
    summary.success_share = static_cast<double>(solved) / static_cast<double>(accuracies.size());
  if (!sequences.empty()) {
    std::sort(sequences.begin(), sequences.end());
    const std::size_t n = sequences.size();
    summary.median_sequences = n % 2 ? sequences[n / 2] : 0.5 * (sequences[n / 2 - 1] + sequences[n / 2]);
  }
  return summary;
}

bool was_run(const std::vector<RunRecord>& runs, ModelKind model, std::size_t gap) {
  return std::any_of(runs.begin(), runs.end(), [&](const RunRecord& run) {
    return run.model == model && run.gap == gap;
  });
}

std::size_t effective_horizon(const std::vector<RunRecord>& runs, ModelKind model,
                              const std::vector<std::size_t>& gaps, double solved_accuracy) {
  std::size_t horizon = 0;
  for (std::size_t gap : gaps) {
    const CellSummary mine = summarize_cell(runs, model, gap, solved_accuracy);
    const CellSummary baseline = summarize_cell(runs, ModelKind::baseline, gap, solved_accuracy);
    if (mine.accuracy.count > 0 && baseline.accuracy.count > 0 &&
        beats_significantly(mine.accuracy, baseline.accuracy))
      horizon = std::max(horizon, gap);
  }
  return horizon;
}

}  // namespace recur::examples
