// Runs examples/memory_horizon's sequence_cost on short sequences: every point is measured in a
// child process and lands in the CSV, and a point whose child fails (here: attention asked for
// more positions than its table holds) is recorded as failed while the others go on.
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "support/run_program.hpp"

namespace {

// sequence_cost.csv's rows (header dropped), each split at the commas.
std::vector<std::vector<std::string>> read_rows(const std::filesystem::path& path) {
  std::vector<std::vector<std::string>> rows;
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::vector<std::string> fields;
    std::istringstream cells(line);
    std::string cell;
    while (std::getline(cells, cell, ',')) fields.push_back(cell);
    rows.push_back(fields);
  }
  return rows;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(sequence_cost)

BOOST_AUTO_TEST_CASE(measures_each_point_in_its_own_process_and_records_failures) {
#ifndef RECUR_SEQUENCE_COST_PATH
  BOOST_TEST_MESSAGE("skipped: examples are not built (RECUR_BUILD_EXAMPLES=OFF)");
#else
  const auto folder = std::filesystem::temp_directory_path() /
                      ("recur-sequence-cost-" + std::to_string(::getpid()));
  std::string command = RECUR_SEQUENCE_COST_PATH;
  // Attention's table holds 24 positions: T = 16 fits, T = 32 does not.
  command += " --lengths 16 32 --max-positions 24 --min-steps 2 --min-seconds 0 --out '";
  command += folder.string() + "' 2>&1";
  const recur::test::ProgramRun result = recur::test::run_program(command);
  BOOST_TEST_REQUIRE(result.status == 0, "sequence_cost failed:\n" << result.output);
  const auto rows = read_rows(folder / "sequence_cost.csv");
  BOOST_TEST_REQUIRE(rows.size() == 4u, result.output);
  // model, seq_len, batch, hidden, parameters, cpu ms, wall ms, timed steps, RSS before,
  // step MiB, status, peak RSS.
  for (const auto& row : rows) {
    BOOST_TEST_REQUIRE(row.size() == 12u, result.output);
    const bool should_fail = row[0] == "attention" && row[1] == "32";
    BOOST_TEST(row[10] == (should_fail ? "failed" : "ok"), row[0] << " at " << row[1]);
    if (should_fail) continue;
    BOOST_TEST(std::stod(row[5]) > 0.0, row[0] << " at " << row[1] << ": no time");
    BOOST_TEST(std::stoi(row[7]) >= 2, row[0] << " at " << row[1] << ": too few steps");
    BOOST_TEST(std::stod(row[11]) > 1.0, row[0] << " at " << row[1] << ": no peak RSS");
  }
  // Rows by model, then length. The LSTM (embedding 17 x 16, LSTM 16 -> 32, head 32 -> 8)
  // and the attention model with a 24-row position table: 42,696 - 513 * 32 + 24 * 32.
  BOOST_TEST(rows[0][0] == "lstm");
  BOOST_TEST(rows[0][4] == "6936");
  BOOST_TEST(rows[2][0] == "attention");
  BOOST_TEST(rows[2][4] == "27048");
  BOOST_TEST(result.output.find("max_positions = 24") != std::string::npos, result.output);
  std::filesystem::remove_all(folder);
#endif
}

BOOST_AUTO_TEST_SUITE_END()
