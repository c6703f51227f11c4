// sequence_cost: what a training step costs the attention model and the LSTM of memory_horizon,
// in time and in memory, as the sequence grows from 64 to 4096 positions.
//
// Attention compares every position with every other: each head of each block keeps a [T, T]
// score matrix (and its softmax, and their gradients) for the backward pass, so its memory and
// time grow with T^2. The LSTM keeps a few [B, H] vectors per step: linear in T for training,
// and constant for inference read as a stream (memory_horizon's streamed tests).
//
// Every point runs in a child process of its own (this program with --point), so that its peak
// resident memory (getrusage's ru_maxrss) is that point's alone. The table goes to
// sequence_cost.csv and the figure to sequence_cost.png and .svg in --out.
#include <sys/wait.h>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <vector>

#include "../common/plot.hpp"
#include "core/error.hpp"
#include "sequence_cost_point.hpp"

using namespace recur;
using namespace recur::examples;

namespace {

// One measured (or failed) point.
struct Point {
  std::string model;
  std::size_t length = 0;
  bool ok = false;
  PointResult result;
  std::string failure;  // the child's last line of output when it failed (e.g. out of memory)
};

// Runs `command` through the shell; returns its output and exit status.
std::pair<int, std::string> run(const std::string& command) {
  std::string output;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) throw IoError("sequence_cost: cannot run " + command);
  char buffer[4096];
  while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) output += buffer;
  const int raw = ::pclose(pipe);
  return {WIFEXITED(raw) ? WEXITSTATUS(raw) : -1, output};
}

// Measures one point in a child process: this program with --point.
Point measure_in_child(const std::string& self, const PointOptions& options) {
  std::ostringstream command;
  command << "'" << self << "' --point --model " << options.model << " --length "
          << options.length << " --batch " << options.batch << " --hidden " << options.hidden
          << " --max-positions " << options.max_positions << " --min-steps " << options.min_steps
          << " --min-seconds " << options.min_seconds << " 2>&1";
  const auto [status, output] = run(command.str());
  Point point;
  point.model = options.model;
  point.length = options.length;
  const std::size_t at = output.find("RESULT,");
  PointResult& r = point.result;
  if (status == 0 && at != std::string::npos &&
      std::sscanf(output.c_str() + at, "RESULT,%lf,%lf,%zu,%lf,%lf,%zu", &r.cpu_ms, &r.wall_ms,
                  &r.steps, &r.rss_before_mib, &r.rss_peak_mib, &r.parameters) == 6) {
    point.ok = true;
    return point;
  }
  std::string last = output.substr(0, output.find_last_not_of('\n') + 1);
  last = last.substr(last.find_last_of('\n') + 1);
  point.failure = "exit " + std::to_string(status) + ": " + last;
  return point;
}

// A gnuplot script: time per step (left) and the memory a step takes (right) against T, on
// log-log axes, with a line through the attention's largest point falling as T^2 and one
// through the LSTM's falling as T, so the slopes can be read against them.
std::string figure_script(const std::string& dir, const std::vector<Point>& points,
                          std::size_t batch, std::size_t hidden) {
  double t2_time = 0, t2_memory = 0, t1_time = 0, t1_memory = 0;
  for (const Point& p : points) {
    if (!p.ok) continue;
    const double T = static_cast<double>(p.length);
    const double memory = p.result.rss_peak_mib - p.result.rss_before_mib;
    if (p.model == "attention") {
      t2_time = p.result.cpu_ms / (T * T);
      t2_memory = memory / (T * T);
    } else if (p.model == "lstm") {
      t1_time = p.result.cpu_ms / T;
      t1_memory = memory / T;
    }
  }
  std::ostringstream s;
  s << "cd '" << dir << "'\nset datafile separator ','\nset logscale xy\nset grid\n"
    << "set key top left\nset xlabel 'sequence length T'\n"
    << "set xtics (64,128,256,512,1024,2048,4096)\nset xrange [48:5600]\n"
    << "pick(name, col) = strcol(1) eq name && strcol(11) eq 'ok' ? column(col) : NaN\n"
    << "t2_time(x) = " << t2_time << " * x**2\nt1_time(x) = " << t1_time << " * x\n"
    << "t2_memory(x) = " << t2_memory << " * x**2\nt1_memory(x) = " << t1_memory << " * x\n";
  const std::string title = "batch " + std::to_string(batch) + ", width " + std::to_string(hidden);
  const std::string panels =
      "set multiplot layout 1,2 title 'One training step against sequence length (" + title +
      ", one thread)'\n"
      "set ylabel 'CPU ms per training step'\n"
      "plot 'sequence_cost.csv' every ::1 using 2:(pick('attention', 6)) with linespoints lw 2 "
      "pt 7 lc rgb '#ff7f0e' title 'attention (2 blocks)', "
      "'' every ::1 using 2:(pick('lstm', 6)) with linespoints lw 2 pt 5 lc rgb '#1f77b4' "
      "title 'lstm', t2_time(x) dashtype 2 lc rgb '#ff7f0e' title 'grows as T^2', "
      "t1_time(x) dashtype 2 lc rgb '#1f77b4' title 'grows as T'\n"
      "set ylabel 'MiB a training step takes (peak RSS minus RSS before it)'\n"
      "plot 'sequence_cost.csv' every ::1 using 2:(pick('attention', 10)) with linespoints lw 2 "
      "pt 7 lc rgb '#ff7f0e' title 'attention (2 blocks)', "
      "'' every ::1 using 2:(pick('lstm', 10)) with linespoints lw 2 pt 5 lc rgb '#1f77b4' "
      "title 'lstm', t2_memory(x) dashtype 2 lc rgb '#ff7f0e' title 'grows as T^2', "
      "t1_memory(x) dashtype 2 lc rgb '#1f77b4' title 'grows as T'\nunset multiplot\n";
  s << "set terminal pngcairo size 1200,500 font ',10'\nset output 'sequence_cost.png'\n" << panels
    << "set terminal svg size 1200,500 dynamic\nset output 'sequence_cost.svg'\n" << panels;
  return s.str();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"sequence_cost: training step time and peak memory of the attention model and "
               "the LSTM against sequence length"};
  PointOptions point;
  bool point_mode = false;
  std::vector<std::string> models{"lstm", "attention"};
  std::vector<std::size_t> lengths{64, 128, 256, 512, 1024, 2048, 4096};
  std::string out_dir = "out/sequence_cost";
  app.add_option("--out", out_dir, "folder for sequence_cost.csv, .png, .svg")
      ->capture_default_str();
  app.add_option("--models", models, "models to measure")->capture_default_str();
  app.add_option("--lengths", lengths, "sequence lengths T")->capture_default_str();
  app.add_option("--batch", point.batch, "sequences per step")->capture_default_str();
  app.add_option("--hidden", point.hidden, "width of every model")->capture_default_str();
  app.add_option("--min-steps", point.min_steps, "timed steps per point, at least")
      ->capture_default_str();
  app.add_option("--min-seconds", point.min_seconds, "CPU seconds per point, at least (up to 50 "
                                                     "steps)")->capture_default_str();
  app.add_option("--max-positions", point.max_positions,
                 "the attention model's position table (default: the longest length)");
  app.add_flag("--point", point_mode, "measure one point (--model, --length) in this process");
  app.add_option("--model", point.model, "with --point: the model");
  app.add_option("--length", point.length, "with --point: the sequence length");
  CLI11_PARSE(app, argc, argv);

  try {
    if (point_mode) {
      const PointResult r = measure_point(point);
      std::printf("RESULT,%.4f,%.4f,%zu,%.2f,%.2f,%zu\n", r.cpu_ms, r.wall_ms, r.steps,
                  r.rss_before_mib, r.rss_peak_mib, r.parameters);
      return 0;
    }
    if (app.count("--max-positions") == 0) {  // the same model at every length: the longest
      point.max_positions = 0;
      for (std::size_t length : lengths)
        point.max_positions = std::max(point.max_positions, length);
    }
    // One thread everywhere: the children inherit OpenBLAS's setting, and recur's team is 1.
    ::setenv("OPENBLAS_NUM_THREADS", "1", 1);
    const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
    std::vector<Point> points;
    std::printf("%10s %6s %12s %12s %10s %10s\n", "model", "T", "cpu ms/step", "wall ms/step",
                "step MiB", "peak MiB");
    for (std::size_t length : lengths)
      for (const std::string& model : models) {
        PointOptions options = point;
        options.model = model;
        options.length = length;
        const Point p = measure_in_child(self, options);
        points.push_back(p);
        const PointResult& r = p.result;
        if (p.ok)
          std::printf("%10s %6zu %12.2f %12.2f %10.1f %10.1f\n", model.c_str(), length, r.cpu_ms,
                      r.wall_ms, r.rss_peak_mib - r.rss_before_mib, r.rss_peak_mib);
        else
          std::printf("%10s %6zu failed (%s)\n", model.c_str(), length, p.failure.c_str());
        std::fflush(stdout);
      }
    // The CSV by model, then length (measured interleaved, so that a slower spell of a shared
    // machine hits both models): gnuplot draws a line through a model's consecutive rows.
    std::vector<std::vector<std::string>> rows;
    for (const std::string& model : models)
      for (const Point& p : points) {
        if (p.model != model) continue;
        const PointResult& r = p.result;
        rows.push_back({model, std::to_string(p.length), std::to_string(point.batch),
                        std::to_string(point.hidden), std::to_string(r.parameters),
                        fixed(r.cpu_ms, 3), fixed(r.wall_ms, 3), std::to_string(r.steps),
                        fixed(r.rss_before_mib, 1), fixed(r.rss_peak_mib - r.rss_before_mib, 1),
                        p.ok ? "ok" : "failed", fixed(r.rss_peak_mib, 1)});
      }
    std::filesystem::create_directories(out_dir);
    write_csv(out_dir + "/sequence_cost.csv",
              {"model", "seq_len", "batch", "hidden", "parameters", "cpu_ms_per_step",
               "wall_ms_per_step", "timed_steps", "rss_before_mib", "step_mib", "status",
               "rss_peak_mib"},
              rows);
    const bool plotted = render_gnuplot(out_dir + "/sequence_cost.gp",
                                        figure_script(out_dir, points, point.batch, point.hidden));
    std::cout << "wrote " << out_dir << "/sequence_cost.csv"
              << (plotted ? ", sequence_cost.png and .svg" : "") << "\n";
    return 0;
  } catch (const recur::Error& error) {
    std::cerr << "sequence_cost: " << error.what() << "\n";
    return 1;
  }
}
