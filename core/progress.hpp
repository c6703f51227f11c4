/// @file
/// Progress: a small progress display for training loops (step, loss, steps per second, ETA).
#pragma once

#include <cstddef>
#include <functional>
#include <iosfwd>
#include <string>

namespace recur {

/// How a Progress draws itself.
enum class ProgressStyle {
  automatic,  ///< A bar on a terminal, plain lines otherwise (a CI log, a file).
  bar,        ///< One line redrawn in place with `\r`.
  lines,      ///< A plain line now and then, nothing redrawn.
};

/// Options of Progress.
struct ProgressOptions {
  std::size_t total = 0;          ///< Steps expected; 0 when unknown (then no bar and no ETA).
  std::string label = "train";    ///< Printed at the start of each line.
  std::ostream* out = nullptr;    ///< Where to draw; std::cerr when null.
  ProgressStyle style = ProgressStyle::automatic;  ///< Bar or lines.
  double line_interval_seconds = 10.0;  ///< Lines: at most one per this many seconds...
  std::size_t line_interval_steps = 0;  ///< ...or one every this many steps (0: by time only).
  double bar_interval_seconds = 0.1;    ///< Bar: redraw at most this often.
  std::size_t bar_width = 30;           ///< Bar: characters between the brackets.
  /// Seconds on a steady clock; tests pass a fake one. The real clock when empty.
  std::function<double()> clock = {};
};

/// A progress display for a loop: call update() after each step with the step count and the
/// loss. On a terminal it redraws one line with a bar; elsewhere it prints a plain line every
/// `line_interval_seconds` (or `line_interval_steps`), which reads well in CI logs and files.
/// The loss shown is the mean over the steps since the previous line or redraw; steps/s is
/// measured since the start and gives the ETA.
///
/// @code
/// recur::Progress progress({.total = steps, .label = "lstm"});
/// for (std::size_t step = 1; step <= steps; ++step) {
///   float loss = train_step();
///   progress.update(step, loss);
/// }
/// progress.finish();
/// // on a terminal: lstm [###########-------------------] 370/1000  loss 0.4213  52.1 steps/s  ETA 12s
/// // in a log:      lstm step 370/1000 (37%)  loss 0.4213  52.1 steps/s  ETA 12s
/// @endcode
class Progress {
 public:
  /// A display that starts timing now.
  explicit Progress(ProgressOptions options = {});
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;
  /// Calls finish().
  ~Progress();

  /// Records that `step` steps are done and the latest loss; draws when it is time.
  /// @param step Steps done so far (1 after the first). @param loss This step's loss; the
  ///        display shows the mean since the last report.
  void update(std::size_t step, double loss);
  /// Draws the final state (always) and ends the bar's line. Idempotent.
  void finish();
  /// True when the display draws a bar.
  bool is_bar() const { return bar_; }

 private:
  double now() const;
  void draw(bool final);
  std::string status(double loss) const;

  ProgressOptions options_;
  std::ostream* out_;
  bool bar_ = false;
  bool finished_ = false;
  double start_ = 0, last_draw_ = 0;
  std::size_t step_ = 0, last_draw_step_ = 0;
  double loss_sum_ = 0;
  std::size_t loss_count_ = 0;
  double last_mean_loss_ = 0;
};

/// A duration as `42s`, `3m07s` or `2h05m`, as Progress prints an ETA.
std::string format_duration(double seconds);

}  // namespace recur
