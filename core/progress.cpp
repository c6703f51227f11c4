#include "core/progress.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>

namespace recur {
namespace {

// Only the standard streams can be terminals; any other ostream (a file, a string) is not.
bool is_terminal(const std::ostream* out) {
  if (out == &std::cout) return ::isatty(STDOUT_FILENO) == 1;
  if (out == &std::cerr || out == &std::clog) return ::isatty(STDERR_FILENO) == 1;
  return false;
}

std::string format(const char* pattern, double value) {
  char text[64];
  std::snprintf(text, sizeof text, pattern, value);
  return text;
}

}  // namespace

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const auto total = static_cast<long long>(std::llround(seconds));
  char text[32];
  if (total < 60)
    std::snprintf(text, sizeof text, "%llds", total);
  else if (total < 3600)
    std::snprintf(text, sizeof text, "%lldm%02llds", total / 60, total % 60);
  else
    std::snprintf(text, sizeof text, "%lldh%02lldm", total / 3600, (total % 3600) / 60);
  return text;
}

Progress::Progress(ProgressOptions options) : options_(std::move(options)) {
  out_ = options_.out ? options_.out : &std::cerr;
  bar_ = options_.style == ProgressStyle::bar ||
         (options_.style == ProgressStyle::automatic && is_terminal(out_));
  start_ = last_draw_ = now();
}

Progress::~Progress() { finish(); }

double Progress::now() const {
  if (options_.clock) return options_.clock();
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

void Progress::update(std::size_t step, double loss) {
  if (finished_) return;
  step_ = step;
  loss_sum_ += loss;
  ++loss_count_;
  const double since_draw = now() - last_draw_;
  const bool due = bar_ ? since_draw >= options_.bar_interval_seconds
                        : since_draw >= options_.line_interval_seconds ||
                              (options_.line_interval_steps > 0 &&
                               step_ >= last_draw_step_ + options_.line_interval_steps);
  if (due) draw(false);
}

void Progress::finish() {
  if (finished_) return;
  finished_ = true;
  if (bar_ || step_ != last_draw_step_ || loss_count_ > 0) draw(true);
}

std::string Progress::status(double loss) const {
  const double elapsed = now() - start_;
  const double rate = elapsed > 0 ? static_cast<double>(step_) / elapsed : 0;
  std::string text;
  if (options_.total > 0) {
    text += std::to_string(step_) + "/" + std::to_string(options_.total);
    if (!bar_) text += " (" + std::to_string(step_ * 100 / options_.total) + "%)";
  } else {
    text += std::to_string(step_);
  }
  text += "  loss " + format("%.4g", loss);
  if (rate > 0) {
    text += "  " + format(rate >= 100 ? "%.0f" : "%.3g", rate) + " steps/s";
    if (options_.total > step_) text += "  ETA " + format_duration((options_.total - step_) / rate);
  }
  if (options_.total > 0 && step_ >= options_.total) text += "  done in " + format_duration(elapsed);
  return text;
}

void Progress::draw(bool final) {
  const double loss = loss_count_ > 0 ? loss_sum_ / static_cast<double>(loss_count_) : last_mean_loss_;
  if (bar_) {
    std::string bar;
    if (options_.total > 0) {
      const std::size_t filled =
          std::min(options_.bar_width, step_ * options_.bar_width / options_.total);
      bar = "[" + std::string(filled, '#') + std::string(options_.bar_width - filled, '-') + "] ";
    }
    // \r returns to the line's start; \033[K clears what a longer previous line left behind.
    *out_ << '\r' << options_.label << ' ' << bar << status(loss) << "\033[K";
    if (final) *out_ << '\n';
  } else {
    *out_ << options_.label << " step " << status(loss) << '\n';
  }
  out_->flush();
  last_mean_loss_ = loss;
  loss_sum_ = 0;
  loss_count_ = 0;
  last_draw_ = now();
  last_draw_step_ = step_;
}

}  // namespace recur
