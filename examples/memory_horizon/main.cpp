// memory_horizon: how much long-range context does a trained LSTM actually use?
//
// Each sequence starts with a key (one of K tokens) followed by G irrelevant noise tokens; the
// model must name the key at the last position. An LSTM, a GRU and a plain RNN read the whole
// sequence; a baseline sees only the last 5 tokens, so it knows the key only when G < 5. We sweep
// the gap G, train every model with the same budget and several seeds, and call a model's
// effective memory horizon the largest gap at which it beats the baseline by more than the
// seeds' spread.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <filesystem>
#include <iostream>

#include "core/error.hpp"
#include "core/gemm.hpp"
#include "core/progress.hpp"
#include "distributed/distributed.hpp"
#include "attention_model.hpp"
#include "extras.hpp"
#include "leaderboard.hpp"
#include "parallel.hpp"
#include "report.hpp"
#include "sweep.hpp"

using namespace recur;
using namespace recur::examples;

int main(int argc, char** argv) {
  // 1. Options: a quick setting by default (the README's demo), --full for the long one.
  CLI::App app{"memory_horizon: the effective memory horizon of trained recurrent models"};
  bool full = false;
  std::string out_dir = "out/memory_horizon";
  std::vector<std::string> model_names;
  std::vector<std::size_t> gaps;
  std::size_t seeds = 0, steps = 0, hidden = 0, batch = 0;
  double lr = 0.0;
  float forget_bias = 0.0f;
  int threads = num_threads();  // the team for a single training; parallel runs take one each
  std::size_t workers = default_workers();
  double give_up = 0.0;
  std::size_t stop_after = 0, stop_past = 64;
  std::size_t attention_max_gap = max_gap(ModelKind::attention);
  bool extras = true;
  TaskOptions task;
  app.add_flag("--full", full, "the full setting: gaps up to 1000, longer training, all extras");
  app.add_option("--out", out_dir, "folder for the CSV files and plots")->capture_default_str();
  app.add_option(
      "--models", model_names,
      "models to compare (default all: lstm gru rnn lstm-chrono peephole cifg lnlstm indrnn mingru "
      "minlstm cornn slstm lru lmu attention baseline)");
  app.add_option("--gaps", gaps, "gaps to sweep");
  app.add_option("--seeds", seeds, "seeds per model and gap");
  app.add_option("--steps", steps, "training steps per run (the budget)");
  app.add_option("--hidden", hidden, "hidden units of every model");
  app.add_option("--batch", batch, "sequences per training step");
  app.add_option("--lr", lr, "Adam's learning rate");
  app.add_option("--forget-bias", forget_bias, "LSTM forget-gate bias at initialisation")
      ->capture_default_str();
  bool indrnn_memory_init = false;
  app.add_flag("--indrnn-memory-init", indrnn_memory_init,
               "draw IndRNN's u from [(1/2)^(1/T), 1], the paper's initialisation for long "
               "sequences, instead of U(0, 1)");
  app.add_option("--keys", task.keys, "K, the number of classes (chance is 1/K)")->capture_default_str();
  app.add_option("--threads", threads, "threads of recur's team for a training that runs alone "
                                       "(the curriculum, the streamed tests); runs spread over "
                                       "--workers take one thread each")->capture_default_str();
  app.add_option("--workers", workers, "trainings run at once, one thread each (results do not "
                                       "depend on it)")->capture_default_str();
  app.add_option("--give-up", give_up, "stop a run at this share of its budget if no check has "
                                       "beaten chance yet (default 0: never; it saves time but "
                                       "misses late learners)");
  app.add_option("--stop-after", stop_after,
                 "past --stop-past, stop a model after it failed to beat the baseline at this "
                 "many gaps in a row (default: 2 with --full, 0 = never otherwise)");
  app.add_option("--stop-past", stop_past, "gaps up to this are run for every model")
      ->capture_default_str();
  app.add_option("--attention-max-gap", attention_max_gap,
                 "longest gap the attention model is run at (default: its 512 positions; 128 "
                 "with --full: a training step takes 590 MiB at gap 256, 1.9 GiB at 512)");
  app.add_flag("!--no-extras", extras, "skip the experiments beyond the main sweep");
  CLI11_PARSE(app, argc, argv);

  try {
    set_num_threads(threads);
    SweepOptions sweep;
    if (full) {
      sweep.gaps = {1, 2, 4, 8, 16, 32, 50, 64, 128, 256, 512, 1000};
      sweep.train.steps = 800;
      sweep.model.hidden = 32;
      sweep.stop_after_failures = 2;
      sweep.attention_max_gap = 128;
    } else {
      sweep.gaps = {1, 2, 4, 8, 16, 32, 50, 64};
      sweep.train.steps = 400;
      sweep.model.hidden = 32;
    }
    if (!model_names.empty()) {
      sweep.models.clear();
      for (const std::string& name : model_names) sweep.models.push_back(parse_model(name));
    }
    if (!gaps.empty()) sweep.gaps = gaps;
    if (seeds) sweep.seeds = seeds;
    if (steps) sweep.train.steps = steps;
    if (hidden) sweep.model.hidden = hidden;
    if (batch) sweep.train.batch = batch;
    if (lr > 0) sweep.train.lr = lr;
    sweep.train.give_up_share = give_up;
    if (app.count("--stop-after")) sweep.stop_after_failures = stop_after;
    sweep.run_every_gap_to = stop_past;
    if (app.count("--attention-max-gap"))
      sweep.attention_max_gap = std::min(attention_max_gap, max_gap(ModelKind::attention));
    sweep.train.stop_when_solved = true;
    // Under mpirun every rank trains each run together with the others, in the same order, so
    // the runs cannot also be spread over threads (their collectives would interleave).
    sweep.workers = distributed::world().size() > 1 ? 1 : std::max<std::size_t>(1, workers);
    sweep.model.forget_bias = forget_bias;
    sweep.model.indrnn_memory_init = indrnn_memory_init;
    sweep.model.vocabulary = task.vocabulary();
    sweep.model.classes = task.keys;
    std::filesystem::create_directories(out_dir);

    // 2. The main sweep, with one progress display over all the training it does.
    std::cout << "memory_horizon: " << sweep.models.size() << " models x " << sweep.gaps.size()
              << " gaps x " << sweep.seeds << " seeds, " << sweep.train.steps
              << " steps of batch " << sweep.train.batch << " each, " << sweep.workers
              << " at a time\n";
    if (sweep.stop_after_failures > 0)
      std::cout << "  past gap " << sweep.run_every_gap_to << ", a model stops after failing to "
                << "beat the baseline at " << sweep.stop_after_failures << " gaps in a row\n";
    // Attention keeps a [T, T] score matrix per head and block: gaps past its longest gap are
    // skipped rather than run out of memory.
    std::size_t runs_total = 0;
    for (ModelKind kind : sweep.models)
      for (std::size_t gap : sweep.gaps) {
        if (gap <= longest_gap(sweep, kind)) runs_total += sweep.seeds;
        else std::cout << "  " << model_name(kind) << ": gap " << gap << " skipped, past its "
                       << "longest gap " << longest_gap(sweep, kind)
                       << " (memory grows with T^2)\n";
      }
    Progress progress({.total = runs_total * sweep.train.steps, .label = "sweep"});
    const auto runs = run_sweep(task, sweep, [&](std::size_t step, double loss) {
      progress.update(step, loss);
    });
    progress.finish();

    // 3. What people read: the table, the CSVs, the plot, and the horizon of each model.
    print_table(std::cout, runs, sweep);
    write_sweep_csv(out_dir, runs, sweep);
    const bool plotted = plot_accuracy_vs_gap(out_dir, sweep, task);
    std::cout << "\n";
    for (const std::string& sentence : horizon_sentences(runs, sweep)) std::cout << sentence << "\n";
    const bool has_baseline = std::find(sweep.models.begin(), sweep.models.end(),
                                        ModelKind::baseline) != sweep.models.end();
    bool board_plotted = false;
    if (has_baseline) {
      const std::vector<LeaderboardRow> board = leaderboard(runs, sweep);
      print_leaderboard(std::cout, board);
      board_plotted = write_leaderboard(
          out_dir, board, *std::max_element(sweep.gaps.begin(), sweep.gaps.end()));
    }
    std::cout << "\nwrote " << out_dir << "/runs.csv, " << out_dir << "/summary.csv"
              << (has_baseline ? ", " + out_dir + "/leaderboard.csv" : "")
              << (plotted ? ", " + out_dir + "/accuracy_vs_gap.png and .svg" : "")
              << (board_plotted ? ", " + out_dir + "/leaderboard.png and .svg" : "") << "\n";

    // 4. Beyond the question: budget, forget-gate bias, curriculum, generalisation to longer
    //    gaps, which positions the model uses, and the longest gap solved at 99%.
    if (extras) run_extras(task, sweep, runs, full, out_dir, std::cout);
    return 0;
  } catch (const recur::Error& error) {
    std::cerr << "memory_horizon: " << error.what() << "\n";
    return 1;
  }
}
