// Runs examples/char_rnn in a tiny setting: the validation loss falls, a resumed run continues
// from the checkpoint's step, sampling works, and a damaged checkpoint or a missing text gives a
// one-line error and a non-zero exit.
#include <boost/test/unit_test.hpp>

#include "support/run_program.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

using Run = recur::test::ProgramRun;

// Runs `command` with its stderr folded into the output.
Run run(const std::string& command) { return recur::test::run_program(command + " 2>&1"); }

// Rows of losses.csv: step, train_loss, val_loss.
struct LossRow {
  long step;
  double train, validation;
};
std::vector<LossRow> read_losses(const std::string& path) {
  std::vector<LossRow> rows;
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    LossRow row{};
    if (std::sscanf(line.c_str(), "%ld,%lf,%lf", &row.step, &row.train, &row.validation) == 3)
      rows.push_back(row);
  }
  return rows;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(char_rnn)

BOOST_AUTO_TEST_CASE(char_rnn_learns_resumes_samples_and_rejects_damaged_files) {
#ifndef CHAR_RNN_BIN
  BOOST_TEST_MESSAGE("skipped: examples are not built");
#else
  const auto folder = std::filesystem::temp_directory_path() /
                      ("recur-char-rnn-" + std::to_string(::getpid()));
  const std::string out = folder.string();
  const std::string tiny = " --batch 8 --chunk 16 --hidden 48 --embedding 16 --eval-every 40"
                           " --sample-length 40 --lr 0.01 --out-dir '" + out + "'";
  const std::string checkpoint = out + "/checkpoint.npz";

  // 120 steps on the shipped text: the validation loss falls well below uniform (ln 256 = 5.55).
  const Run first = run(std::string(CHAR_RNN_BIN) + " train --steps 120" + tiny);
  BOOST_TEST_REQUIRE(first.status == 0, "char_rnn train failed:\n" << first.output);
  for (const char* file : {"checkpoint.npz", "losses.csv", "losses.png", "losses.svg"})
    BOOST_TEST(std::filesystem::exists(folder / file), file);
  const std::vector<LossRow> losses = read_losses(out + "/losses.csv");
  BOOST_TEST_REQUIRE(losses.size() == 3u, first.output);
  BOOST_TEST(losses.back().step == 120);
  BOOST_TEST(losses.back().validation < losses.front().validation - 0.2,
             "validation " << losses.front().validation << " -> " << losses.back().validation);
  BOOST_TEST(losses.back().validation < 3.5);
  BOOST_TEST(first.output.find("--- sample ---") != std::string::npos, first.output);

  // Resuming continues from the checkpoint's step, not from zero.
  const Run resumed =
      run(std::string(CHAR_RNN_BIN) + " train --steps 160 --resume '" + checkpoint + "'" + tiny);
  BOOST_TEST_REQUIRE(resumed.status == 0, "resume failed:\n" << resumed.output);
  BOOST_TEST(resumed.output.find("at step 120") != std::string::npos, resumed.output);
  const std::vector<LossRow> after = read_losses(out + "/losses.csv");
  BOOST_TEST_REQUIRE(after.size() == 1u, resumed.output);
  BOOST_TEST(after.front().step == 160);
  BOOST_TEST(after.front().validation < losses.front().validation);

  // Sampling continues the prompt.
  const Run sampled = run(std::string(CHAR_RNN_BIN) + " sample --checkpoint '" + checkpoint +
                          "' --prompt 'Alice was' --length 50 --temperature 0.5");
  BOOST_TEST(sampled.status == 0, sampled.output);
  BOOST_TEST(sampled.output.rfind("Alice was", 0) == 0u, sampled.output);
  BOOST_TEST(sampled.output.size() >= 59u, sampled.output);

  // A truncated checkpoint, a missing one and a missing text: one line, exit code != 0.
  const std::string damaged = out + "/damaged.npz";
  {
    std::ifstream in(checkpoint, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::ofstream(damaged, std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  }
  for (const std::string& command :
       {std::string(CHAR_RNN_BIN) + " sample --checkpoint '" + damaged + "'",
        std::string(CHAR_RNN_BIN) + " train --steps 10 --resume '" + damaged + "'" + tiny,
        std::string(CHAR_RNN_BIN) + " sample --checkpoint '" + out + "/missing.npz'",
        std::string(CHAR_RNN_BIN) + " train --text '" + out + "/missing.txt'" + tiny}) {
    const Run failed = run(command);
    BOOST_TEST(failed.status != 0, command);
    BOOST_TEST(failed.status != -1, command << " crashed");
    BOOST_TEST(std::count(failed.output.begin(), failed.output.end(), '\n') == 1,
               command << " printed:\n" << failed.output);
    BOOST_TEST(failed.output.rfind("char_rnn: error: ", 0) == 0u, failed.output);
  }
  std::filesystem::remove_all(folder);
#endif
}

BOOST_AUTO_TEST_SUITE_END()
