// The leaderboard: one line per model, ranked by how far back it remembers under the budget.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "sweep.hpp"

namespace recur::examples {

/// One model's line on the board.
struct LeaderboardRow {
  std::string model;
  std::size_t horizon = 0;               ///< Effective memory horizon (0: below every gap run).
  double sequences_at_horizon = -1.0;    ///< Median sequences to solve at the horizon; -1: none.
  double accuracy_at_50 = -1.0;          ///< Mean test accuracy at gap 50; -1 when not run.
  double ms_per_step_at_64 = -1.0;       ///< Median wall ms per training step at gap 64.
};

/// The board of every recurrent model of the sweep (the baseline is the yardstick, not a row),
/// longest horizon first; ties go to the fewer sequences, then the faster step.
std::vector<LeaderboardRow> leaderboard(const std::vector<RunRecord>& runs,
                                        const SweepOptions& options);

/// Prints the board as a table.
void print_leaderboard(std::ostream& out, const std::vector<LeaderboardRow>& rows);

/// Writes `leaderboard.csv` in `dir` and renders `leaderboard.png` and `.svg` (each model's
/// horizon as a bar, on a log axis up to `longest_gap`, the longest gap run); returns whether
/// the plot was drawn.
bool write_leaderboard(const std::string& dir, const std::vector<LeaderboardRow>& rows,
                       std::size_t longest_gap);

}  // namespace recur::examples
