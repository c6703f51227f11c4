// vanishing_gradients: how far back does the gradient of a loss at the last step reach in an RNN,
// an LSTM and a GRU, before and after training? And what does gradient clipping do when the
// recurrent weights are large enough for gradients to explode?
//
// The nets are run one cell step at a time, so every hidden state h_t is a value on the tape;
// after backward(), h_t.grad() is dL/dh_t, read like any other gradient.
//
//   vanishing_gradients                       # defaults: T = 60, 600 Adam steps, ~30 s
//   vanishing_gradients --out-dir figs --length 100 --train-steps 1000
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <limits>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <recur/recur.hpp>

#include "../common/plot.hpp"
#include "adding_task.hpp"
#include "step_net.hpp"

namespace {

using recur::examples::fixed;
using vanishing::CellKind;
using vanishing::StepNet;

struct Options {
  std::size_t length = 60;          // T, steps per sequence
  std::size_t hidden = 32;          // H
  std::size_t batch = 32;           // sequences per training step
  std::size_t measure_batch = 128;  // sequences the gradient norms are averaged over
  std::size_t train_steps = 600;    // Adam steps per model
  double lr = 1e-2;                 // Adam's learning rate
  double clip = 1.0;                // max gradient norm while training
  double explode_scale = 4.0;       // the exploding RNN's W_hh is multiplied by this
  double explode_lr = 0.05;         // SGD's rate in the exploding case
  std::size_t explode_steps = 400;  // SGD steps per exploding run
  std::uint64_t seed = 1;
  std::string out_dir = "vanishing_gradients_out";
};

constexpr std::size_t kInputSize = 2;  // the adding problem's value and marker

// Mean over the batch of ||dL/dh_t[b]|| for every step t, indexed by distance d = T-1-t from
// the loss: one backward on a fixed batch.
std::vector<double> gradient_profile(StepNet& net, const vanishing::AddingBatch& batch) {
  recur::Tape tape;
  std::vector<recur::Var> hidden;
  const recur::Var prediction = net.forward(tape, batch.x, hidden);
  tape.backward(recur::mse_loss(prediction, tape.input(batch.y)));
  net.zero_grad();  // the parameters' gradients are not what we measure here

  const std::size_t steps = hidden.size();
  std::vector<double> by_distance(steps, 0.0);
  for (std::size_t t = 0; t < steps; ++t) {
    const recur::Tensor& grad = hidden[t].grad();  // [B, H]
    double total = 0;
    for (std::size_t b = 0; b < grad.shape()[0]; ++b) {
      double squares = 0;
      for (std::size_t j = 0; j < grad.shape()[1]; ++j) squares += double(grad(b, j)) * grad(b, j);
      total += std::sqrt(squares);
    }
    by_distance[steps - 1 - t] = total / double(grad.shape()[0]);
  }
  return by_distance;
}

// One training step on a fresh batch: returns the loss and the gradient norm before clipping
// (`clip` <= 0 measures the norm but leaves the gradients alone).
struct StepResult {
  double loss;
  double grad_norm;
};
StepResult train_step(StepNet& net, recur::optim::Optimizer& optimizer, recur::Tape& tape,
                      const Options& options, double clip, recur::Generator& data) {
  const vanishing::AddingBatch batch = vanishing::adding_batch(options.length, options.batch, data);
  tape.clear();
  optimizer.zero_grad();
  std::vector<recur::Var> hidden;
  const recur::Var loss = recur::mse_loss(net.forward(tape, batch.x, hidden), tape.input(batch.y));
  tape.backward(loss);
  const double norm = recur::optim::clip_grad_norm(
      net.parameters(), clip > 0 ? clip : std::numeric_limits<double>::max());
  optimizer.step();
  return {loss.value()(), norm};
}

double mean_of_tail(const std::vector<double>& values, std::size_t count) {
  count = std::min(count, values.size());
  double sum = 0;
  for (std::size_t i = values.size() - count; i < values.size(); ++i) sum += values[i];
  return count ? sum / double(count) : NAN;
}

// A number for a CSV: "nan" for what is not finite, so gnuplot skips it.
std::string csv_number(double value) {
  if (!std::isfinite(value)) return "nan";
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.6g", value);
  return buffer;
}

struct ModelRun {
  CellKind kind;
  std::vector<double> at_init;     // dL/dh norm by distance
  std::vector<double> trained;     // the same after training
  std::vector<double> losses;      // training loss per step
};

// Part 1: the gradient profile of each cell at initialisation and after Adam training.
ModelRun run_model(CellKind kind, const Options& options) {
  recur::manual_seed(options.seed);  // the same initialisation stream for every model
  StepNet net(kind, kInputSize, options.hidden);
  recur::Generator measure_data(options.seed + 1000);
  const vanishing::AddingBatch measure =
      vanishing::adding_batch(options.length, options.measure_batch, measure_data);

  ModelRun run{.kind = kind};
  run.at_init = gradient_profile(net, measure);

  recur::optim::Adam optimizer(net.parameters(), {.lr = options.lr});
  recur::Generator data(options.seed);
  recur::Tape tape;
  recur::Progress progress({.total = options.train_steps, .label = vanishing::cell_name(kind)});
  for (std::size_t step = 1; step <= options.train_steps; ++step) {
    const StepResult result = train_step(net, optimizer, tape, options, options.clip, data);
    run.losses.push_back(result.loss);
    progress.update(step, result.loss);
  }
  progress.finish();
  run.trained = gradient_profile(net, measure);
  return run;
}

// Part 2: a plain RNN whose W_hh is scaled up, trained by SGD with and without clipping.
struct ExplodingRun {
  std::vector<double> losses;
  std::vector<double> grad_norms;
};
ExplodingRun run_exploding(const Options& options, bool clipped) {
  recur::manual_seed(options.seed);
  StepNet net(CellKind::rnn, kInputSize, options.hidden);
  recur::Parameter& weight_hh = net.weight_hh();
  weight_hh.value *= static_cast<float>(options.explode_scale);
  weight_hh.bump_version();

  recur::optim::SGD optimizer(net.parameters(), {.lr = options.explode_lr});
  recur::Generator data(options.seed);
  recur::Tape tape;
  ExplodingRun run;
  recur::Progress progress({.total = options.explode_steps,
                            .label = clipped ? "RNN x" + fixed(options.explode_scale, 1) + " clipped"
                                             : "RNN x" + fixed(options.explode_scale, 1) + " unclipped"});
  for (std::size_t step = 1; step <= options.explode_steps; ++step) {
    const StepResult result =
        train_step(net, optimizer, tape, options, clipped ? options.clip : 0.0, data);
    run.losses.push_back(result.loss);
    run.grad_norms.push_back(result.grad_norm);
    progress.update(step, result.loss);
    if (!std::isfinite(result.loss)) break;  // diverged: the rest of the curve is NaN
  }
  progress.finish();
  return run;
}

void write_gradient_outputs(const std::vector<ModelRun>& runs, const Options& options) {
  std::vector<std::string> header{"distance"};
  for (const char* phase : {"init", "trained"})
    for (const ModelRun& run : runs) header.push_back(vanishing::cell_name(run.kind) + "_" + phase);
  for (const char* phase : {"init", "trained"})
    for (const ModelRun& run : runs)
      header.push_back(vanishing::cell_name(run.kind) + "_" + phase + "_raw");

  // Relative columns are ||dL/dh_(T-1-d)|| / ||dL/dh_(T-1)||: how much of the gradient at the
  // loss survives d steps back. The raw norms follow.
  std::vector<std::vector<std::string>> rows;
  for (std::size_t d = 0; d < options.length; ++d) {
    std::vector<std::string> row{std::to_string(d)};
    for (int raw = 0; raw < 2; ++raw)
      for (int trained = 0; trained < 2; ++trained)
        for (const ModelRun& run : runs) {
          const std::vector<double>& profile = trained ? run.trained : run.at_init;
          row.push_back(csv_number(raw ? profile[d] : profile[d] / profile[0]));
        }
    rows.push_back(row);
  }
  const std::string dir = options.out_dir;
  recur::examples::write_csv(dir + "/gradient_norms.csv", header, rows);

  std::string script;
  for (const char* format : {"png", "svg"}) {
    script += std::string("set terminal ") +
              (format == std::string("png") ? "pngcairo size 1200,500" : "svg size 1200,500") +
              "\nset output '" + dir + "/gradient_norms." + format + "'\n";
    script +=
        "set datafile separator ','\nset logscale y\nset format y '10^{%L}'\n"
        "set key top right\nset grid\nset xlabel 'distance from the loss (steps)'\n"
        "set ylabel '||dL/dh_t|| / ||dL/dh_T||'\nset multiplot layout 1,2\n";
    for (int trained = 0; trained < 2; ++trained) {
      script += std::string("set title '") + (trained ? "after training" : "at initialisation") +
                " (adding problem, T = " + std::to_string(options.length) + ")'\nplot ";
      for (std::size_t m = 0; m < runs.size(); ++m)
        script += "'" + dir + "/gradient_norms.csv' using 1:" +
                  std::to_string(2 + trained * runs.size() + m) + " with lines lw 2 title '" +
                  vanishing::cell_name(runs[m].kind) + "'" + (m + 1 < runs.size() ? ", " : "\n");
    }
    script += "unset multiplot\n";
  }
  recur::examples::render_gnuplot(dir + "/gradient_norms.gp", script);
}

void write_exploding_outputs(const ExplodingRun& clipped, const ExplodingRun& unclipped,
                             const Options& options) {
  const std::string dir = options.out_dir;
  std::vector<std::vector<std::string>> rows;
  auto at = [](const std::vector<double>& values, std::size_t i) {
    return i < values.size() ? csv_number(values[i]) : std::string("nan");
  };
  for (std::size_t i = 0; i < options.explode_steps; ++i)
    rows.push_back({std::to_string(i + 1), at(clipped.losses, i), at(unclipped.losses, i),
                    at(clipped.grad_norms, i), at(unclipped.grad_norms, i)});
  recur::examples::write_csv(dir + "/exploding.csv",
                             {"step", "loss_clipped", "loss_unclipped", "grad_norm_clipped",
                              "grad_norm_unclipped"},
                             rows);
  std::string script;
  for (const char* format : {"png", "svg"}) {
    script += std::string("set terminal ") +
              (format == std::string("png") ? "pngcairo size 1200,500" : "svg size 1200,500") +
              "\nset output '" + dir + "/exploding." + format + "'\n";
    script += "set datafile separator ','\nset logscale y\nset format y '10^{%L}'\nset grid\nset xlabel 'training step'\n"
              "set multiplot layout 1,2\n"
              "set title 'RNN, W_{hh} x " + fixed(options.explode_scale, 1) + ", SGD lr " +
              csv_number(options.explode_lr) + ": training loss'\nset ylabel 'loss (MSE)'\n"
              "plot '" + dir + "/exploding.csv' using 1:3 with lines lw 1 title 'no clipping', "
              "'' using 1:2 with lines lw 2 title 'clip\\_grad\\_norm " + csv_number(options.clip) +
              "'\nset title 'gradient norm before clipping'\nset ylabel '||g||'\n"
              "plot '" + dir + "/exploding.csv' using 1:5 with lines lw 1 title 'no clipping', "
              "'' using 1:4 with lines lw 2 title 'clipped run'\nunset multiplot\n";
  }
  recur::examples::render_gnuplot(dir + "/exploding.gp", script);
}

// The summary: what the two figures show, in numbers.
void print_summary(const std::vector<ModelRun>& runs, const ExplodingRun& clipped,
                   const ExplodingRun& unclipped, const Options& options) {
  std::cout << "\nGradient reaching back from the loss (||dL/dh_t|| relative to the last step):\n"
            << "model  phase      ";
  std::vector<std::size_t> distances;
  for (std::size_t d : {5, 10, 20, 40}) if (d < options.length) distances.push_back(d);
  distances.push_back(options.length - 1);
  for (std::size_t d : distances) std::cout << "  d=" << d << std::string(d < 10 ? 8 : 7, ' ');
  std::cout << "  final loss\n";
  for (const ModelRun& run : runs)
    for (int trained = 0; trained < 2; ++trained) {
      const std::vector<double>& profile = trained ? run.trained : run.at_init;
      char line[64];
      std::snprintf(line, sizeof line, "%-6s %-10s", vanishing::cell_name(run.kind).c_str(),
                    trained ? "trained" : "init");
      std::cout << line;
      for (std::size_t d : distances) {
        std::snprintf(line, sizeof line, "  %-10.2e", profile[d] / profile[0]);
        std::cout << line;
      }
      if (trained) std::cout << "  " << fixed(mean_of_tail(run.losses, 20), 4);
      std::cout << "\n";
    }
  const ModelRun* best = &runs[0];
  const std::size_t far = std::min<std::size_t>(20, options.length - 1);
  for (const ModelRun& run : runs)
    if (run.trained[far] / run.trained[0] > best->trained[far] / best->trained[0]) best = &run;
  std::cout << "After training, the " << vanishing::cell_name(best->kind)
            << " passes the most gradient " << far << " steps back; a loss that predicts 1.0 "
            << "everywhere scores 0.1667.\n";

  auto max_of = [](const std::vector<double>& v) {
    double m = 0;
    for (double x : v) m = std::isfinite(x) ? std::max(m, x) : INFINITY;
    return m;
  };
  const bool diverged = unclipped.losses.size() < options.explode_steps ||
                        !std::isfinite(unclipped.losses.back());
  std::cout << "\nExploding case (RNN, W_hh x " << fixed(options.explode_scale, 1) << ", SGD lr "
            << csv_number(options.explode_lr) << "):\n"
            << "  without clipping: largest gradient norm " << csv_number(max_of(unclipped.grad_norms))
            << ", final loss "
            << (diverged ? std::string("diverged (NaN) at step ") +
                               std::to_string(unclipped.losses.size())
                         : fixed(mean_of_tail(unclipped.losses, 20), 4))
            << "\n  with clip_grad_norm " << csv_number(options.clip) << ": largest gradient norm "
            << csv_number(max_of(clipped.grad_norms)) << ", final loss "
            << fixed(mean_of_tail(clipped.losses, 20), 4) << "\n";
  std::cout << "\nFigures: " << options.out_dir << "/gradient_norms.{png,svg,csv} and "
            << options.out_dir << "/exploding.{png,svg,csv}\n";
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  CLI::App app{"Gradient norms through time for RNN, LSTM and GRU, and clipping an exploding RNN"};
  app.add_option("--length", options.length, "Steps per sequence (T)")->check(CLI::Range(2, 100000));
  app.add_option("--hidden", options.hidden, "Hidden size")->check(CLI::PositiveNumber);
  app.add_option("--batch", options.batch, "Sequences per training step")->check(CLI::PositiveNumber);
  app.add_option("--measure-batch", options.measure_batch, "Sequences the norms average over")
      ->check(CLI::PositiveNumber);
  app.add_option("--train-steps", options.train_steps, "Adam steps per model");
  app.add_option("--lr", options.lr, "Adam's learning rate")->check(CLI::PositiveNumber);
  app.add_option("--clip", options.clip, "Max gradient norm")->check(CLI::PositiveNumber);
  app.add_option("--explode-scale", options.explode_scale, "Factor on the exploding RNN's W_hh");
  app.add_option("--explode-lr", options.explode_lr, "SGD's rate in the exploding case")
      ->check(CLI::PositiveNumber);
  app.add_option("--explode-steps", options.explode_steps, "SGD steps per exploding run")
      ->check(CLI::PositiveNumber);
  app.add_option("--seed", options.seed, "Seed of the initialisation and the data");
  app.add_option("--out-dir", options.out_dir, "Where the CSVs and plots go");
  CLI11_PARSE(app, argc, argv);

  try {
    std::filesystem::create_directories(options.out_dir);
    std::vector<ModelRun> runs;
    for (CellKind kind : {CellKind::rnn, CellKind::lstm, CellKind::gru})
      runs.push_back(run_model(kind, options));
    write_gradient_outputs(runs, options);

    const ExplodingRun unclipped = run_exploding(options, false);
    const ExplodingRun clipped = run_exploding(options, true);
    write_exploding_outputs(clipped, unclipped, options);
    print_summary(runs, clipped, unclipped, options);
  } catch (const std::exception& error) {
    std::cerr << "vanishing_gradients: " << error.what() << "\n";
    return 1;
  }
  return 0;
}
