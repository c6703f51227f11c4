#include "report.hpp"

#include <algorithm>
#include <cstdio>
#include <iomanip>
#include <iterator>
#include <sstream>

#include "../common/plot.hpp"
#include "attention_model.hpp"

namespace recur::examples {

void print_table(std::ostream& out, const std::vector<RunRecord>& runs, const SweepOptions& options) {
  const double solved = options.train.solved_accuracy;
  out << "\ntest accuracy, mean ± sd over " << options.seeds << " seeds [seeds solved]\n";
  out << std::setw(6) << "gap";
  for (ModelKind kind : options.models) out << std::setw(22) << model_name(kind);
  out << "\n";
  for (std::size_t gap : options.gaps) {
    out << std::setw(6) << gap;
    for (ModelKind kind : options.models) {
      const CellSummary cell = summarize_cell(runs, kind, gap, solved);
      if (cell.accuracy.count == 0) {  // past the model's longest gap, or after it stopped
        // The others are 23 wide on screen (± is 2 bytes).
        out << std::setw(23) << (gap > longest_gap(options, kind) ? "skipped" : "stopped");
        continue;
      }
      std::ostringstream text;
      text << fixed(cell.accuracy.mean, 3) << " ± " << fixed(cell.accuracy.stddev, 3) << " ["
           << static_cast<int>(cell.success_share * static_cast<double>(cell.accuracy.count) + 0.5)
           << "/" << cell.accuracy.count << "]";
      out << std::setw(24) << text.str();
    }
    out << "\n";
  }
  std::size_t solved_early = 0, gave_up = 0;
  for (const RunRecord& run : runs) {
    if (run.training.gave_up) ++gave_up;
    else if (run.training.steps_run < options.train.steps) ++solved_early;
  }
  out << "of " << runs.size() << " runs, " << solved_early << " stopped once solved";
  if (options.train.give_up_share > 0.0)
    out << " and " << gave_up << " gave up at chance after "
        << static_cast<std::size_t>(options.train.give_up_share * static_cast<double>(options.train.steps))
        << " steps";
  out << " (budget " << options.train.steps << " steps)\n";
  if (options.stop_after_failures > 0)
    out << "stopped: not run, the model had failed to beat the baseline at the "
        << options.stop_after_failures << " gaps before (past gap " << options.run_every_gap_to
        << "); skipped: past the longest gap the model is run at\n";
}

void write_sweep_csv(const std::string& dir, const std::vector<RunRecord>& runs,
                     const SweepOptions& options) {
  std::vector<std::vector<std::string>> rows;
  for (const RunRecord& run : runs)
    rows.push_back({model_name(run.model), std::to_string(run.gap), std::to_string(run.seed),
                    fixed(run.accuracy, 4), fixed(run.training.final_loss, 4),
                    std::to_string(run.training.sequences_to_solve),
                    std::to_string(run.training.steps_to_beat_chance),
                    std::to_string(run.training.steps_run), run.training.gave_up ? "1" : "0",
                    fixed(run.training.seconds, 2)});
  write_csv(dir + "/runs.csv",
            {"model", "gap", "seed", "test_accuracy", "final_loss", "sequences_to_solve",
             "steps_to_beat_chance", "steps_run", "gave_up", "seconds"},
            rows);
  rows.clear();
  for (ModelKind kind : options.models)
    for (std::size_t gap : options.gaps) {
      const CellSummary cell = summarize_cell(runs, kind, gap, options.train.solved_accuracy);
      if (cell.accuracy.count == 0) continue;  // skipped: no row, no point on the plot
      rows.push_back({model_name(kind), std::to_string(gap), fixed(cell.accuracy.mean, 4),
                      fixed(cell.accuracy.stddev, 4), std::to_string(cell.accuracy.count),
                      fixed(cell.success_share, 3), fixed(cell.median_sequences, 0)});
    }
  write_csv(dir + "/summary.csv",
            {"model", "gap", "accuracy_mean", "accuracy_sd", "seeds", "success_share",
             "median_sequences_to_solve"},
            rows);
}

bool plot_accuracy_vs_gap(const std::string& dir, const SweepOptions& options,
                          const TaskOptions& task) {
  // One gnuplot script renders both formats; each model's rows are picked from summary.csv by
  // name, so the script stays readable and rerunnable by hand.
  std::ostringstream script;
  script << "set datafile separator ','\n"
         << "set logscale x 2\nset xlabel 'gap (irrelevant tokens between key and query)'\n"
         << "set ylabel 'test accuracy'\nset yrange [0:1.05]\nset key top right\nset grid\n"
         << "set title 'How far back does a trained recurrent network remember?'\n"
         << "chance = " << 1.0 / static_cast<double>(task.keys) << "\n"
         << "pick(name) = strcol(1) eq name ? $3 : NaN\n"
         << "spread(name) = strcol(1) eq name ? $4 : NaN\n";
  std::ostringstream plot;
  plot << "plot ";
  const char* colors[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
                          "#e377c2", "#17becf", "#bcbd22", "#7f7f7f", "#000000", "#aec7e8"};
  std::size_t index = 0;
  for (ModelKind kind : options.models) {
    const std::string name = model_name(kind);
    const std::string color =
        kind == ModelKind::baseline ? "#555555" : colors[index++ % std::size(colors)];
    const std::string style = kind == ModelKind::baseline ? " dashtype 2" : "";
    plot << "'summary.csv' every ::1 using 2:(pick('" << name << "')):(spread('" << name
         << "')) with yerrorlines lw 2 lc rgb '" << color << "'" << style << " title '" << name
         << (kind == ModelKind::baseline ? " (last 5 tokens)" : "") << "', ";
  }
  plot << "chance with lines dashtype 3 lc rgb '#aa0000' title 'chance (1/"
       << task.keys << ")'\n";
  script << "set terminal pngcairo size 900,560 font ',11'\nset output 'accuracy_vs_gap.png'\n"
         << plot.str() << "set terminal svg size 900,560 dynamic\nset output 'accuracy_vs_gap.svg'\n"
         << "replot\n";
  return render_gnuplot(dir + "/accuracy_vs_gap.gp",
                        "cd '" + dir + "'\n" + script.str());
}

std::vector<std::string> horizon_sentences(const std::vector<RunRecord>& runs,
                                           const SweepOptions& options) {
  std::vector<std::string> sentences;
  const bool has_baseline = std::find(options.models.begin(), options.models.end(),
                                      ModelKind::baseline) != options.models.end();
  if (!has_baseline) {
    sentences.push_back("No horizon stated: the baseline was not among the models run, and the "
                        "horizon is measured against it.");
    return sentences;
  }
  for (ModelKind kind : options.models) {
    if (kind == ModelKind::baseline) continue;
    const std::size_t horizon =
        effective_horizon(runs, kind, options.gaps, options.train.solved_accuracy);
    // The longest gap this model was run at (attention skips those past its longest gap, and a
    // model that stopped those after it).
    std::size_t longest = 0;
    for (std::size_t gap : options.gaps)
      if (was_run(runs, kind, gap)) longest = std::max(longest, gap);
    std::ostringstream text;
    if (horizon == 0)
      text << "The " << model_name(kind) << " never beat the last-5-token baseline significantly "
           << "at any gap tested: its effective memory horizon is below " << options.gaps.front()
           << " tokens under this budget.";
    else if (horizon == longest)
      text << "The " << model_name(kind) << " still beats the baseline significantly at the "
           << "longest gap tested (" << horizon << "): its effective memory horizon is at least "
           << horizon << " tokens under this budget.";
    else
      text << "The " << model_name(kind) << "'s effective memory horizon is " << horizon
           << " tokens: the largest gap at which it beats the last-5-token baseline by more "
              "than the seeds' spread"
           << (longest < *std::max_element(options.gaps.begin(), options.gaps.end()) &&
                       longest < longest_gap(options, kind)
                   ? " (it stopped after gap " + std::to_string(longest) + ")."
                   : ".");
    sentences.push_back(text.str());
  }
  return sentences;
}

}  // namespace recur::examples
