#include "leaderboard.hpp"

#include <algorithm>
#include <iomanip>
#include <sstream>

#include "../common/plot.hpp"

namespace recur::examples {

namespace {

double median(std::vector<double> values) {
  if (values.empty()) return -1.0;
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

// Median wall time per optimiser step over the seeds of (model, gap); -1 when none ran.
double ms_per_step(const std::vector<RunRecord>& runs, ModelKind model, std::size_t gap) {
  std::vector<double> times;
  for (const RunRecord& run : runs)
    if (run.model == model && run.gap == gap && run.training.steps_run > 0)
      times.push_back(1000.0 * run.training.seconds /
                      static_cast<double>(run.training.steps_run));
  return median(times);
}

bool has_gap(const SweepOptions& options, std::size_t gap) {
  return std::find(options.gaps.begin(), options.gaps.end(), gap) != options.gaps.end();
}

std::string or_dash(double value, int digits) { return value < 0 ? "-" : fixed(value, digits); }

}  // namespace

std::vector<LeaderboardRow> leaderboard(const std::vector<RunRecord>& runs,
                                        const SweepOptions& options) {
  const double solved = options.train.solved_accuracy;
  std::vector<LeaderboardRow> rows;
  for (ModelKind kind : options.models) {
    if (kind == ModelKind::baseline) continue;
    LeaderboardRow row{.model = model_name(kind)};
    row.horizon = effective_horizon(runs, kind, options.gaps, solved);
    if (row.horizon > 0)
      row.sequences_at_horizon = summarize_cell(runs, kind, row.horizon, solved).median_sequences;
    if (has_gap(options, 50))
      row.accuracy_at_50 = summarize_cell(runs, kind, 50, solved).accuracy.mean;
    if (has_gap(options, 64)) row.ms_per_step_at_64 = ms_per_step(runs, kind, 64);
    rows.push_back(row);
  }
  // Unsolved sequences (-1) count as more than any number.
  const auto sequences = [](const LeaderboardRow& r) {
    return r.sequences_at_horizon < 0 ? 1e300 : r.sequences_at_horizon;
  };
  const auto better = [&](const LeaderboardRow& a, const LeaderboardRow& b) {
    if (a.horizon != b.horizon) return a.horizon > b.horizon;
    if (sequences(a) != sequences(b)) return sequences(a) < sequences(b);
    return a.ms_per_step_at_64 < b.ms_per_step_at_64;
  };
  std::stable_sort(rows.begin(), rows.end(), better);
  return rows;
}

void print_leaderboard(std::ostream& out, const std::vector<LeaderboardRow>& rows) {
  out << "\nleaderboard: effective memory horizon under the budget (beats the last-5-token "
         "baseline by more than twice the standard error)\n"
      << std::setw(4) << "#" << std::setw(14) << "model" << std::setw(10) << "horizon"
      << std::setw(22) << "sequences at horizon" << std::setw(18) << "accuracy, gap 50"
      << std::setw(20) << "ms/step, gap 64" << "\n";
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const LeaderboardRow& r = rows[i];
    out << std::setw(4) << i + 1 << std::setw(14) << r.model << std::setw(10)
        << (r.horizon ? std::to_string(r.horizon) : "<first") << std::setw(22)
        << or_dash(r.sequences_at_horizon, 0) << std::setw(18) << or_dash(r.accuracy_at_50, 3)
        << std::setw(20) << or_dash(r.ms_per_step_at_64, 2) << "\n";
  }
}

bool write_leaderboard(const std::string& dir, const std::vector<LeaderboardRow>& rows,
                       std::size_t longest_gap) {
  std::vector<std::vector<std::string>> lines;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const LeaderboardRow& r = rows[i];
    lines.push_back({std::to_string(i + 1), r.model, std::to_string(r.horizon),
                     fixed(r.sequences_at_horizon, 0), fixed(r.accuracy_at_50, 4),
                     fixed(r.ms_per_step_at_64, 3)});
  }
  write_csv(dir + "/leaderboard.csv",
            {"rank", "model", "horizon", "sequences_at_horizon", "accuracy_gap_50",
             "ms_per_step_gap_64"},
            lines);
  // Bars of the horizon (a horizon of 0, below every gap run, is drawn at 0.5).
  std::ostringstream script;
  script << "cd '" << dir << "'\nset datafile separator ','\n"
         << "set style data histograms\nset style fill solid 0.8 border -1\nset boxwidth 0.8\n"
         << "set logscale y 2\nset yrange [0.5:" << 2 * longest_gap << "]\n"
         << "set grid ytics\nunset key\n"
         << "set ylabel 'effective memory horizon (gap)'\n"
         << "set xtics rotate by -30 scale 0\n"
         << "set title 'Memory-horizon leaderboard: how far back each trained cell remembers'\n"
         << "set terminal pngcairo size 900,520 font ',11'\nset output 'leaderboard.png'\n"
         << "plot 'leaderboard.csv' every ::1 using ($3 > 0 ? $3 : 0.5):xtic(2) lc rgb '#1f77b4'\n"
         << "set terminal svg size 900,520 dynamic\nset output 'leaderboard.svg'\nreplot\n";
  return render_gnuplot(dir + "/leaderboard.gp", script.str());
}

}  // namespace recur::examples
