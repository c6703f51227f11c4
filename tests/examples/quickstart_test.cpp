// Runs examples/quickstart: it must exit 0 (a model loaded from its saved file predicts the
// same), and the loss it prints must fall.
#include <boost/test/unit_test.hpp>

#include "support/run_program.hpp"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

namespace {

// The losses of every "step N  loss L" line, in order.
std::vector<double> losses(const std::string& output) {
  std::vector<double> values;
  std::istringstream lines(output);
  std::string line;
  while (std::getline(lines, line)) {
    int step = 0;
    double loss = 0.0;
    if (std::sscanf(line.c_str(), "step %d loss %lf", &step, &loss) == 2) values.push_back(loss);
  }
  return values;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(quickstart)

BOOST_AUTO_TEST_CASE(quickstart_trains_saves_and_reloads_the_same_predictions) {
#ifndef RECUR_QUICKSTART_PATH
  BOOST_TEST_MESSAGE("skipped: examples are not built (RECUR_BUILD_EXAMPLES=OFF)");
#else
  const auto folder = std::filesystem::temp_directory_path() /
                      ("recur-quickstart-" + std::to_string(::getpid()));
  std::filesystem::create_directories(folder);
  const std::string model = (folder / "model.npz").string();
  // Built with += (GCC 12 warns falsely about operator+ on a string literal macro here).
  std::string command = RECUR_QUICKSTART_PATH;
  command += " --steps 300 --seed 1 --model '";
  command += model;
  command += "'";
  const recur::test::ProgramRun result = recur::test::run_program(command);
  BOOST_TEST(result.status == 0, "quickstart failed:\n" << result.output);
  BOOST_TEST(std::filesystem::exists(model), "no model file at " << model);
  const std::vector<double> loss = losses(result.output);
  BOOST_TEST_REQUIRE(loss.size() >= 5u, "too few loss lines:\n" << result.output);
  // Chance is ln 8 = 2.08; the trained model must have learnt most of the task.
  BOOST_TEST(loss.front() > 1.8, result.output);
  BOOST_TEST(loss.back() < 0.5 * loss.front(), result.output);
  BOOST_TEST(result.output.find("gives the same") != std::string::npos, result.output);
  std::filesystem::remove_all(folder);
#endif
}

BOOST_AUTO_TEST_SUITE_END()
