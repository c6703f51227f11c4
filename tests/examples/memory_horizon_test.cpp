// Runs examples/memory_horizon in a tiny setting and checks what it found and wrote: the LSTM
// beats the last-5-token baseline at a gap the baseline cannot see across, the baseline ties or
// wins when it sees the key, and the CSV and plots are there.
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "support/run_program.hpp"

namespace {

// summary.csv as (model, gap) -> mean test accuracy.
std::map<std::pair<std::string, int>, double> read_summary(const std::filesystem::path& path) {
  std::map<std::pair<std::string, int>, double> accuracy;
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string model, gap, mean;
    std::getline(fields, model, ',');
    std::getline(fields, gap, ',');
    std::getline(fields, mean, ',');
    accuracy[{model, std::stoi(gap)}] = std::stod(mean);
  }
  return accuracy;
}

// runs.csv without its last column (wall seconds): what a rerun must reproduce.
std::string runs_without_times(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::string line, kept;
  while (std::getline(in, line)) kept += line.substr(0, line.rfind(',')) + "\n";
  return kept;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(memory_horizon)

BOOST_AUTO_TEST_CASE(runs_give_the_same_numbers_one_or_two_at_a_time) {
#ifndef RECUR_MEMORY_HORIZON_PATH
  BOOST_TEST_MESSAGE("skipped: examples are not built (RECUR_BUILD_EXAMPLES=OFF)");
#else
  const auto folder = std::filesystem::temp_directory_path() /
                      ("recur-memory-horizon-workers-" + std::to_string(::getpid()));
  std::string outputs[2];
  for (int workers : {1, 2}) {
    std::string command = RECUR_MEMORY_HORIZON_PATH;
    command += " --models lstm rnn --gaps 2 3 --seeds 2 --steps 30 --no-extras --workers ";
    command += std::to_string(workers) + " --out '" + (folder / std::to_string(workers)).string() + "' 2>&1";
    const recur::test::ProgramRun result = recur::test::run_program(command);
    BOOST_TEST_REQUIRE(result.status == 0, "memory_horizon failed:\n" << result.output);
    outputs[workers - 1] = runs_without_times(folder / std::to_string(workers) / "runs.csv");
  }
  // 8 runs and a header; each line carries accuracy, loss and step counts to 4 decimals.
  BOOST_TEST(std::count(outputs[0].begin(), outputs[0].end(), '\n') == 9);
  BOOST_TEST(outputs[0] == outputs[1]);
  std::filesystem::remove_all(folder);
#endif
}

BOOST_AUTO_TEST_CASE(a_model_that_fails_past_the_stop_gap_is_not_run_at_longer_gaps) {
#ifndef RECUR_MEMORY_HORIZON_PATH
  BOOST_TEST_MESSAGE("skipped: examples are not built (RECUR_BUILD_EXAMPLES=OFF)");
#else
  const auto folder = std::filesystem::temp_directory_path() /
                      ("recur-memory-horizon-stop-" + std::to_string(::getpid()));
  // One training step learns nothing: both models are at chance at gap 6 (the baseline cannot
  // see the key), so the RNN, having failed at the gaps up to 6, is not run at 7 and 8; the
  // baseline, the yardstick, runs at every gap.
  std::string command = RECUR_MEMORY_HORIZON_PATH;
  command += " --models rnn baseline --gaps 2 6 7 8 --seeds 2 --steps 1 --stop-past 6 "
             "--stop-after 1 --no-extras --out '" + folder.string() + "' 2>&1";
  const recur::test::ProgramRun result = recur::test::run_program(command);
  BOOST_TEST_REQUIRE(result.status == 0, "memory_horizon failed:\n" << result.output);
  const auto accuracy = read_summary(folder / "summary.csv");
  BOOST_TEST(accuracy.size() == 6u, result.output);
  BOOST_TEST(accuracy.count({"rnn", 6}) == 1u, result.output);
  BOOST_TEST(accuracy.count({"rnn", 7}) == 0u, result.output);
  BOOST_TEST(accuracy.count({"rnn", 8}) == 0u, result.output);
  BOOST_TEST(accuracy.count({"baseline", 8}) == 1u, result.output);
  BOOST_TEST(result.output.find("stopped") != std::string::npos, result.output);
  std::filesystem::remove_all(folder);
#endif
}

BOOST_AUTO_TEST_CASE(lstm_beats_the_baseline_past_its_window_and_ties_within_it) {
#ifndef RECUR_MEMORY_HORIZON_PATH
  BOOST_TEST_MESSAGE("skipped: examples are not built (RECUR_BUILD_EXAMPLES=OFF)");
#else
  const auto folder = std::filesystem::temp_directory_path() /
                      ("recur-memory-horizon-" + std::to_string(::getpid()));
  std::string command = RECUR_MEMORY_HORIZON_PATH;
  // Past gap 2 the LSTM would stop after one failure; it beats the baseline at 6, so it goes on
  // to 7.
  command += " --models lstm baseline --gaps 2 6 7 --seeds 2 --steps 200 --stop-past 2 "
             "--stop-after 1 --no-extras --out '";
  command += folder.string();
  command += "' 2>&1";
  const recur::test::ProgramRun result = recur::test::run_program(command);
  BOOST_TEST_REQUIRE(result.status == 0, "memory_horizon failed:\n" << result.output);
  const auto accuracy = read_summary(folder / "summary.csv");
  BOOST_TEST_REQUIRE(accuracy.size() == 6u, "summary.csv should have 2 models x 3 gaps:\n"
                                                << result.output);
  // Gap 2: the key is inside the baseline's window of 5, so it must solve the task and do at
  // least as well as the LSTM.
  BOOST_TEST(accuracy.at({"baseline", 2}) >= 0.95, result.output);
  BOOST_TEST(accuracy.at({"baseline", 2}) >= accuracy.at({"lstm", 2}) - 0.02, result.output);
  // Gap 6: the baseline is at chance (1/8); the LSTM remembers.
  BOOST_TEST(accuracy.at({"baseline", 6}) < 0.25, result.output);
  BOOST_TEST(accuracy.at({"lstm", 6}) > accuracy.at({"baseline", 6}) + 0.4, result.output);
  BOOST_TEST(result.output.find("effective memory horizon") != std::string::npos, result.output);
  BOOST_TEST(std::filesystem::exists(folder / "runs.csv"));
  for (const char* plot : {"accuracy_vs_gap.png", "accuracy_vs_gap.svg", "leaderboard.png",
                           "leaderboard.svg"})
    BOOST_TEST(std::filesystem::file_size(folder / plot) > 1000u, plot << " missing or empty");
  BOOST_TEST(accuracy.at({"lstm", 7}) > accuracy.at({"baseline", 7}) + 0.4, result.output);
  // The leaderboard's one row: the LSTM, whose horizon is the longest gap run (it beats the
  // baseline at 7), with the sequences it needed there.
  std::ifstream board(folder / "leaderboard.csv");
  std::string header, row;
  std::getline(board, header);
  std::getline(board, row);
  BOOST_TEST(header.rfind("rank,model,horizon,sequences_at_horizon", 0) == 0u, header);
  BOOST_TEST(row.rfind("1,lstm,7,", 0) == 0u, row << "\n" << result.output);
  BOOST_TEST(result.output.find("leaderboard") != std::string::npos, result.output);
  std::filesystem::remove_all(folder);
#endif
}

BOOST_AUTO_TEST_CASE(attention_learns_a_gap_past_the_window_and_skips_gaps_past_its_table) {
#ifndef RECUR_MEMORY_HORIZON_PATH
  BOOST_TEST_MESSAGE("skipped: examples are not built (RECUR_BUILD_EXAMPLES=OFF)");
#else
  const auto folder = std::filesystem::temp_directory_path() /
                      ("recur-memory-horizon-attention-" + std::to_string(::getpid()));
  std::string command = RECUR_MEMORY_HORIZON_PATH;
  command += " --models attention baseline --gaps 6 600 --seeds 2 --steps 200 --no-extras --out '";
  command += folder.string();
  command += "' 2>&1";
  const recur::test::ProgramRun result = recur::test::run_program(command);
  BOOST_TEST_REQUIRE(result.status == 0, "memory_horizon failed:\n" << result.output);
  const auto accuracy = read_summary(folder / "summary.csv");
  // Gap 600 is past the attention model's 513 positions: skipped (no row), and said so; the
  // baseline still runs there.
  BOOST_TEST(accuracy.size() == 3u, "summary.csv: attention at 6, baseline at 6 and 600:\n"
                                        << result.output);
  BOOST_TEST(accuracy.count({"attention", 600}) == 0u);
  BOOST_TEST(result.output.find("attention: gap 600 skipped") != std::string::npos,
             result.output);
  // Gap 6: the key is outside the baseline's window, so it sits at chance (1/8); attention
  // reads the whole sequence and names the key.
  BOOST_TEST_REQUIRE(accuracy.count({"attention", 6}) == 1u, result.output);
  BOOST_TEST(accuracy.at({"baseline", 6}) < 0.25, result.output);
  BOOST_TEST(accuracy.at({"attention", 6}) > 0.95, result.output);
  std::filesystem::remove_all(folder);
#endif
}

BOOST_AUTO_TEST_SUITE_END()
