// The progress display's plain-line output (what CI logs and files get), with a fake clock.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <sstream>

#include "core/progress.hpp"

using namespace recur;

BOOST_AUTO_TEST_SUITE(progress)

BOOST_AUTO_TEST_CASE(a_non_terminal_gets_plain_lines_with_mean_loss_rate_and_eta) {
  std::ostringstream out;
  double clock = 100.0;
  {
    Progress progress({.total = 80, .label = "lstm", .out = &out, .line_interval_seconds = 5.0,
                       .clock = [&] { return clock; }});
    BOOST_TEST(!progress.is_bar());
    // 8 steps per second (0.125 s is exact in binary); a line every 5 s, i.e. every 40 steps.
    for (std::size_t step = 1; step <= 80; ++step) {
      clock += 0.125;
      progress.update(step, step <= 40 ? 2.0 : 1.0);
    }
  }  // the destructor finishes
  const std::string expected =
      "lstm step 40/80 (50%)  loss 2  8 steps/s  ETA 5s\n"
      "lstm step 80/80 (100%)  loss 1  8 steps/s  done in 10s\n";
  BOOST_TEST(out.str() == expected);
}

BOOST_AUTO_TEST_CASE(lines_can_come_every_n_steps_and_finish_prints_the_last_partial_interval) {
  std::ostringstream out;
  double clock = 0.0;
  Progress progress({.out = &out, .line_interval_steps = 3, .clock = [&] { return clock; }});
  for (std::size_t step = 1; step <= 7; ++step) {
    clock += 0.5;
    progress.update(step, static_cast<double>(step));
  }
  progress.finish();
  progress.finish();  // idempotent
  // Means over steps 1-3, 4-6, then 7; the total is unknown, so no ETA.
  BOOST_TEST(out.str() == "train step 3  loss 2  2 steps/s\n"
                          "train step 6  loss 5  2 steps/s\n"
                          "train step 7  loss 7  2 steps/s\n");
}

BOOST_AUTO_TEST_CASE(the_bar_style_redraws_one_line) {
  std::ostringstream out;
  double clock = 0.0;
  Progress progress({.total = 4, .label = "x", .out = &out, .style = ProgressStyle::bar,
                     .bar_width = 4, .clock = [&] { return clock; }});
  for (std::size_t step = 1; step <= 4; ++step) {
    clock += 1.0;
    progress.update(step, 0.5);
  }
  progress.finish();
  const std::string text = out.str();
  BOOST_TEST(text.find("\rx [#---] 1/4  loss 0.5  1 steps/s  ETA 3s\033[K") != std::string::npos, text);
  BOOST_TEST(text.find("\rx [####] 4/4  loss 0.5  1 steps/s  done in 4s\033[K\n") != std::string::npos, text);
  BOOST_TEST(std::count(text.begin(), text.end(), '\n') == 1);
}

BOOST_AUTO_TEST_CASE(durations_read_as_seconds_minutes_or_hours) {
  BOOST_TEST(format_duration(42.4) == "42s");
  BOOST_TEST(format_duration(187) == "3m07s");
  BOOST_TEST(format_duration(7500) == "2h05m");
  BOOST_TEST(format_duration(-1) == "?");
}

BOOST_AUTO_TEST_SUITE_END()
