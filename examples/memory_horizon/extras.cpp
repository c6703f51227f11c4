#include "extras.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iomanip>
#include <sstream>

#include "../common/plot.hpp"
#include "autograd/ops/nn_ops.hpp"
#include "autograd/ops/reductions.hpp"
#include "core/progress.hpp"
#include "leaderboard.hpp"

namespace recur::examples {
namespace {

using Rows = std::vector<std::vector<std::string>>;

// The sweep restricted to the LSTM at `gaps`, with a change applied to its options.
SweepOptions lstm_variant(const SweepOptions& sweep, const std::vector<std::size_t>& gaps) {
  SweepOptions variant = sweep;
  variant.models = {ModelKind::lstm};
  variant.gaps = gaps;
  return variant;
}

// Runs `variant` with a progress display labelled `label`.
std::vector<RunRecord> run_with_progress(const TaskOptions& task, const SweepOptions& variant,
                                         const std::string& label) {
  Progress progress({.total = variant.models.size() * variant.gaps.size() * variant.seeds *
                              variant.train.steps,
                     .label = label});
  auto runs = run_sweep(task, variant, [&](std::size_t step, double loss) {
    progress.update(step, loss);
  });
  progress.finish();
  return runs;
}

// The main sweep's runs of one model.
std::vector<RunRecord> runs_of(const std::vector<RunRecord>& runs, ModelKind kind) {
  std::vector<RunRecord> picked;
  for (const RunRecord& run : runs)
    if (run.model == kind) picked.push_back(run);
  return picked;
}

// A gnuplot script body drawing accuracy against gap from `csv` (columns: label, gap, mean, sd),
// one line per distinct label in `labels`.
std::string accuracy_plot(const std::string& csv, const std::string& title,
                          const std::vector<std::string>& labels, const std::string& output) {
  std::ostringstream script;
  script << "set datafile separator ','\nset logscale x 2\nset yrange [0:1.05]\nset grid\n"
         << "set key bottom left\nset xlabel 'gap'\nset ylabel 'test accuracy'\n"
         << "set title '" << title << "'\n"
         << "pick(name) = strcol(1) eq name ? $3 : NaN\nspread(name) = strcol(1) eq name ? $4 : NaN\n"
         << "set terminal pngcairo size 800,500 font ',11'\nset output '" << output << ".png'\nplot ";
  for (std::size_t i = 0; i < labels.size(); ++i)
    script << (i ? ", " : "") << "'" << csv << "' every ::1 using 2:(pick('" << labels[i]
           << "')):(spread('" << labels[i] << "')) with yerrorlines lw 2 title '" << labels[i] << "'";
  script << "\nset terminal svg size 800,500 dynamic\nset output '" << output << ".svg'\nreplot\n";
  return script.str();
}

// Rows (label, gap, mean, sd) for the LSTM runs in `runs`, labelled `label`.
void append_accuracy_rows(Rows& rows, const std::string& label, const std::vector<RunRecord>& runs,
                          const std::vector<std::size_t>& gaps, double solved) {
  for (std::size_t gap : gaps) {
    const CellSummary cell = summarize_cell(runs, ModelKind::lstm, gap, solved);
    if (cell.accuracy.count == 0) continue;
    rows.push_back({label, std::to_string(gap), fixed(cell.accuracy.mean, 4),
                    fixed(cell.accuracy.stddev, 4)});
  }
}

// The LSTM's horizon in `runs` against the main sweep's baseline.
std::size_t lstm_horizon(std::vector<RunRecord> runs, const std::vector<RunRecord>& sweep_runs,
                         const std::vector<std::size_t>& gaps, double solved) {
  for (const RunRecord& run : runs_of(sweep_runs, ModelKind::baseline)) runs.push_back(run);
  return effective_horizon(runs, ModelKind::lstm, gaps, solved);
}

// Mean over sequences of |d(correct logit)/d(embedding at position t)|, by distance from the end.
std::vector<double> saliency(RecurrentClassifier& model, const TaskOptions& task, std::size_t gap,
                             std::size_t count, Generator& generator) {
  model.eval();
  Tape tape;
  const TaskBatch batch = make_batch(task, gap, count, generator);
  const Var embedded = model.embed(tape, batch.tokens);
  const Var logits = model.logits_from_embeddings(embedded);
  Tensor onehot = zeros({count, task.keys});
  for (std::size_t b = 0; b < count; ++b) onehot(b, static_cast<std::size_t>(batch.labels(b))) = 1.0f;
  tape.backward(sum(mul_mask(logits, onehot)));
  const Tensor& grad = embedded.grad();  // [T, B, E]
  const std::size_t steps = grad.shape(0), width = grad.shape(2);
  std::vector<double> by_distance(steps, 0.0);
  for (std::size_t t = 0; t < steps; ++t)
    for (std::size_t b = 0; b < count; ++b) {
      double squares = 0.0;
      for (std::size_t e = 0; e < width; ++e) {
        const double g = grad(t, b, e);
        squares += g * g;
      }
      by_distance[steps - 1 - t] += std::sqrt(squares) / static_cast<double>(count);
    }
  return by_distance;
}

// The LSTM and the three recurrent cells highest on the sweep's leaderboard besides it (only the
// LSTM when the sweep had no baseline to rank them against).
std::vector<ModelKind> probed_cells(const std::vector<RunRecord>& runs, const SweepOptions& sweep) {
  std::vector<ModelKind> cells{ModelKind::lstm};
  const auto& models = sweep.models;
  if (std::find(models.begin(), models.end(), ModelKind::baseline) == models.end()) return cells;
  for (const LeaderboardRow& row : leaderboard(runs, sweep)) {
    const ModelKind kind = parse_model(row.model);
    if (kind == ModelKind::lstm || kind == ModelKind::attention) continue;  // attention: no stream
    if (cells.size() == 4) break;
    cells.push_back(kind);
  }
  return cells;
}

}  // namespace

void run_extras(const TaskOptions& task, const SweepOptions& sweep,
                const std::vector<RunRecord>& sweep_runs, bool full, const std::string& out_dir,
                std::ostream& out) {
  const double solved = sweep.train.solved_accuracy;
  const std::size_t budget = sweep.train.steps;
  const std::vector<std::size_t> gaps = full ? std::vector<std::size_t>{8, 16, 32, 64, 128}
                                             : std::vector<std::size_t>{8, 16, 32, 64};

  // 1. Budget: does more training move the horizon?
  {
    out << "\n[budget] the LSTM with half and double the training budget\n";
    Rows rows;
    const auto base = runs_of(sweep_runs, ModelKind::lstm);
    for (double factor : {0.5, 1.0, 2.0}) {
      SweepOptions variant = lstm_variant(sweep, gaps);
      variant.train.steps = static_cast<std::size_t>(static_cast<double>(budget) * factor);
      const auto runs = factor == 1.0 ? base : run_with_progress(task, variant, "budget");
      const std::string label = std::to_string(variant.train.steps) + " steps";
      append_accuracy_rows(rows, label, runs, gaps, solved);
      out << "  " << std::setw(10) << label << ": horizon "
          << lstm_horizon(runs, sweep_runs, gaps, solved) << "\n";
    }
    write_csv(out_dir + "/budget.csv", {"budget", "gap", "accuracy_mean", "accuracy_sd"}, rows);
    render_gnuplot(out_dir + "/budget.gp",
                   "cd '" + out_dir + "'\n" +
                       accuracy_plot("budget.csv", "LSTM accuracy by training budget",
                                     {std::to_string(budget / 2) + " steps",
                                      std::to_string(budget) + " steps",
                                      std::to_string(budget * 2) + " steps"},
                                     "budget"));
  }

  // 2. Forget-gate bias: PyTorch's 0 against the 1 that Keras and DyNet use.
  {
    out << "\n[forget bias] the LSTM with forget-gate bias 1 against 0\n";
    SweepOptions variant = lstm_variant(sweep, gaps);
    variant.model.forget_bias = 1.0f;
    const auto biased = run_with_progress(task, variant, "forget bias");
    const auto base = runs_of(sweep_runs, ModelKind::lstm);
    Rows rows;
    append_accuracy_rows(rows, "forget bias 0", base, gaps, solved);
    append_accuracy_rows(rows, "forget bias 1", biased, gaps, solved);
    write_csv(out_dir + "/forget_bias.csv", {"init", "gap", "accuracy_mean", "accuracy_sd"}, rows);
    render_gnuplot(out_dir + "/forget_bias.gp",
                   "cd '" + out_dir + "'\n" +
                       accuracy_plot("forget_bias.csv", "LSTM accuracy by forget-gate bias",
                                     {"forget bias 0", "forget bias 1"}, "forget_bias"));
    out << "  forget bias 0: horizon " << lstm_horizon(base, sweep_runs, gaps, solved)
        << "\n  forget bias 1: horizon " << lstm_horizon(biased, sweep_runs, gaps, solved) << "\n";
  }

  // 3-5 probe trained models. They are trained together, so that every worker stays busy: for
  // the LSTM and the three best other cells of the sweep, the direct and curriculum runs at a
  // long target gap and a model per training gap; and one model of each kind for the saliency
  // measurement.
  const std::size_t target = full ? 1000 : 256;
  const std::vector<std::size_t> train_gaps = full ? std::vector<std::size_t>{4, 8, 32, 256}
                                                   : std::vector<std::size_t>{4, 16, 64};
  const std::size_t saliency_gap = full ? 32 : 16;
  const std::vector<ModelKind> saliency_kinds{ModelKind::lstm, ModelKind::gru, ModelKind::rnn};
  const std::vector<ModelKind> cells = probed_cells(sweep_runs, sweep);
  const std::size_t jobs_per_cell = 2 + train_gaps.size();
  std::vector<TrainingJob> jobs;
  for (ModelKind cell : cells) {
    for (bool curriculum : {false, true}) {
      SweepOptions variant = sweep;
      variant.train.curriculum = curriculum;
      variant.train.steps = budget * 2;
      jobs.push_back({variant, cell, target, sweep.base_seed});
    }
    for (std::size_t gap : train_gaps) {
      // The whole budget, even once solved: stopping at the first 99% check leaves a solution
      // that holds for less far beyond the training gap.
      SweepOptions variant = sweep;
      variant.train.stop_when_solved = false;
      jobs.push_back({variant, cell, gap, sweep.base_seed});
    }
  }
  for (ModelKind kind : saliency_kinds)
    jobs.push_back({sweep, kind, saliency_gap, sweep.base_seed});
  std::vector<TrainedModel> trained = train_many(task, jobs, sweep.workers, "probe models");
  const std::size_t first_saliency = cells.size() * jobs_per_cell;
  // The LSTM is first among the cells.
  SequenceClassifier* curriculum_model = trained[1].model.get();

  // 3. Curriculum: a gap beyond the sweep, trained directly and with growing gaps.
  {
    out << "\n[curriculum] gap " << target << ", trained directly and with a curriculum "
        << "(the gap doubles each time the current one is solved)\n";
    Rows rows;
    for (std::size_t c = 0; c < cells.size(); ++c)
      for (bool curriculum : {false, true}) {
        const TrainedModel& run = trained[c * jobs_per_cell + (curriculum ? 1 : 0)];
        Generator test_data(99);
        const double accuracy = test_accuracy(*run.model, task, target, 512, test_data);
        const std::string method = curriculum ? "curriculum" : "direct";
        rows.push_back({model_name(cells[c]), method, std::to_string(target), fixed(accuracy, 4),
                        std::to_string(run.result.sequences_to_solve),
                        std::to_string(run.result.gap_reached),
                        std::to_string(run.result.steps_run)});
        out << "  " << std::setw(12) << model_name(cells[c]) << " " << std::setw(10) << method
            << ": accuracy " << fixed(accuracy, 3) << " at gap " << target
            << ", training gap reached " << run.result.gap_reached << ", sequences to solve "
            << run.result.sequences_to_solve << ", steps " << run.result.steps_run
            << (run.result.gave_up ? " (gave up at chance)" : "") << "\n";
      }
    write_csv(out_dir + "/curriculum.csv",
              {"model", "method", "gap", "test_accuracy", "sequences_to_solve", "gap_reached",
               "steps_run"},
              rows);
  }

  // 4. Generalisation: accuracy by training gap and test gap. A model that solves test gaps far
  //    beyond its training gap shows what the network can hold; a gap it cannot be trained on
  //    directly shows what gradient descent cannot find.
  {
    out << "\n[generalisation] models trained at one gap, tested at others (streamed)\n";
    const std::vector<std::size_t> test_gaps =
        full ? std::vector<std::size_t>{1, 4, 16, 64, 256, 1000, 4096, 16384}
             : std::vector<std::size_t>{1, 4, 16, 64, 256, 1024, 4096};
    Rows rows;
    std::ostringstream matrix;
    std::vector<std::pair<std::string, SequenceClassifier*>> models;
    for (std::size_t c = 0; c < cells.size(); ++c) {
      const std::string name = model_name(cells[c]);
      for (std::size_t i = 0; i < train_gaps.size(); ++i)
        models.emplace_back(name + " " + std::to_string(train_gaps[i]),
                            trained[c * jobs_per_cell + 2 + i].model.get());
      models.emplace_back(name + " curriculum " + std::to_string(target),
                          trained[c * jobs_per_cell + 1].model.get());
    }
    out << std::setw(24) << "trained at \\ test gap";
    for (std::size_t gap : test_gaps) out << std::setw(8) << gap;
    out << "\n";
    for (auto& [label, model] : models) {
      out << std::setw(24) << label;
      for (std::size_t gap : test_gaps) {
        Generator test_data(4242 + gap);
        auto& recurrent = static_cast<RecurrentClassifier&>(*model);
        const double accuracy = stream_accuracy(recurrent, task, gap, 256, 512, test_data);
        rows.push_back({label, std::to_string(gap), fixed(accuracy, 4)});
        matrix << accuracy << " ";
        out << std::setw(8) << fixed(accuracy, 3) << std::flush;
      }
      matrix << "\n";
      out << "\n";
    }
    write_csv(out_dir + "/generalization.csv", {"trained_at", "test_gap", "test_accuracy"}, rows);
    std::ostringstream script;
    script << "cd '" << out_dir << "'\nset view map\nset cbrange [0:1]\nset xlabel 'test gap'\n"
           << "set ylabel 'model, trained at gap'\nset yrange [] reverse\n"
           << "set title 'Accuracy: trained gap x test gap (streamed)'\n"
           << "set palette defined (0 '#b2182b', 0.5 '#f7f7f7', 1 '#2166ac')\nset xtics (";
    for (std::size_t i = 0; i < test_gaps.size(); ++i)
      script << (i ? ", " : "") << "'" << test_gaps[i] << "' " << i;
    script << ")\nset ytics (";
    for (std::size_t i = 0; i < models.size(); ++i)
      script << (i ? ", " : "") << "'" << models[i].first << "' " << i;
    const std::size_t height = 200 + 28 * models.size();
    script << ")\nset terminal pngcairo size 1000," << height << " font ',11'\n"
           << "set output 'generalization.png'\n"
           << "plot 'generalization_matrix.dat' matrix with image notitle, "
           << "'generalization_matrix.dat' matrix using 1:2:(sprintf('%.2f',$3)) with labels notitle\n"
           << "set terminal svg size 1000," << height << " dynamic\n"
           << "set output 'generalization.svg'\nreplot\n";
    {
      std::ofstream file(out_dir + "/generalization_matrix.dat");
      file << matrix.str();
    }
    render_gnuplot(out_dir + "/generalization.gp", script.str());
  }

  // 5. Which positions does a trained model use? The gradient of the correct logit with respect
  //    to each input embedding, by distance from the end.
  {
    const std::size_t gap = saliency_gap;
    out << "\n[saliency] |d correct logit / d input embedding| by distance from the end, gap "
        << gap << "\n";
    Rows rows;
    // The models trained directly at this gap, and the curriculum LSTM, which has learnt to
    // hold the key far longer.
    std::vector<std::pair<std::string, SequenceClassifier*>> probed;
    for (std::size_t k = 0; k < saliency_kinds.size(); ++k)
      probed.emplace_back(model_name(saliency_kinds[k]), trained[first_saliency + k].model.get());
    probed.emplace_back("lstm curriculum", curriculum_model);
    for (const auto& [name, model] : probed) {
      Generator data(777);
      const auto by_distance = saliency(static_cast<RecurrentClassifier&>(*model), task, gap, 256, data);
      for (std::size_t d = 0; d < by_distance.size(); ++d)
        rows.push_back({name, std::to_string(d), std::to_string(by_distance[d])});
      out << "  " << std::setw(15) << name << ": at the key (distance " << gap << ") "
          << by_distance.back() << ", at the last token " << by_distance.front() << "\n";
    }
    write_csv(out_dir + "/saliency.csv", {"model", "distance_from_end", "grad_norm"}, rows);
    std::ostringstream script;
    script << "cd '" << out_dir << "'\nset datafile separator ','\nset logscale y\nset format y '10^{%L}'\nset grid\n"
           << "set xlabel 'distance from the last position (the key is at the far right)'\n"
           << "set ylabel '|d correct logit / d embedding|'\nset title 'Which positions do trained models use?'\n"
           << "pick(name) = strcol(1) eq name ? $3 : NaN\n"
           << "set terminal pngcairo size 800,500 font ',11'\nset output 'saliency.png'\n"
           << "plot 'saliency.csv' every ::1 using 2:(pick('lstm')) with lines lw 2 title 'lstm', "
           << "'' every ::1 using 2:(pick('gru')) with lines lw 2 title 'gru', "
           << "'' every ::1 using 2:(pick('rnn')) with lines lw 2 title 'rnn', "
           << "'' every ::1 using 2:(pick('lstm curriculum')) with lines lw 2 dashtype 2 "
           << "title 'lstm (curriculum)'\n"
           << "set terminal svg size 800,500 dynamic\nset output 'saliency.svg'\nreplot\n";
    render_gnuplot(out_dir + "/saliency.gp", script.str());
  }

  // 6. The longest gap the curriculum-trained LSTM solves at 99%, streamed in chunks so memory
  //    stays that of one chunk however long the sequence.
  {
    const std::vector<std::size_t> long_gaps =
        full ? std::vector<std::size_t>{1000, 3000, 10000, 30000, 100000, 200000}
             : std::vector<std::size_t>{1000, 3000, 10000};
    out << "\n[longest gap] the curriculum LSTM on streamed sequences (99% = solved)\n";
    Rows rows;
    std::size_t longest = 0;
    auto& model = static_cast<RecurrentClassifier&>(*curriculum_model);
    for (std::size_t gap : long_gaps) {
      Generator data(31337 + gap);
      const double accuracy = stream_accuracy(model, task, gap, 128, 1000, data);
      rows.push_back({std::to_string(gap), fixed(accuracy, 4)});
      out << "  gap " << std::setw(7) << gap << ": accuracy " << fixed(accuracy, 3) << "\n" << std::flush;
      if (accuracy >= solved) longest = gap;
      else break;   // longer gaps only get harder
    }
    write_csv(out_dir + "/longest_gap.csv", {"gap", "test_accuracy"}, rows);
    out << "  longest gap solved at 99%: " << (longest ? std::to_string(longest) : "none tested")
        << " (trained with a curriculum up to " << target << ")\n";
  }
}

}  // namespace recur::examples
