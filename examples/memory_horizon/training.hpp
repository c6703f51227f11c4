// Training and testing one model on the memory-horizon task.
#pragma once

#include <cstdint>
#include <functional>

#include "models.hpp"
#include "task.hpp"

namespace recur::examples {

/// The training budget, the same for every model.
struct TrainOptions {
  std::size_t steps = 400;           ///< Optimiser steps.
  std::size_t batch = 32;            ///< Sequences per step.
  double lr = 1e-2;                  ///< Adam's learning rate.
  double clip = 1.0;                 ///< Gradient-norm clipping threshold.
  std::size_t eval_every = 25;       ///< Steps between checks of whether the task is solved.
  std::size_t eval_sequences = 256;  ///< Fresh sequences per check.
  double solved_accuracy = 0.99;     ///< Accuracy that counts as solving the task.
  /// Curriculum: start at gap 1 and double the training gap (up to the target gap) each time
  /// a check finds the current one solved.
  bool curriculum = false;
  /// Stop as soon as a check finds the target gap solved (the budget is a ceiling).
  bool stop_when_solved = false;
  /// Give up once this share of the budget has passed and no check has yet beaten chance by
  /// three standard errors (0: never). Runs far beyond a model's horizon sit at chance for the whole
  /// budget; this spares most of that time. It also stops a run whose loss would have left the
  /// plateau only later, so it is stated next to every result it shapes.
  double give_up_share = 0.0;
};

/// What training found.
struct TrainResult {
  double final_loss = 0.0;            ///< Mean loss over the last eval period.
  std::int64_t sequences_to_solve = -1;  ///< Training sequences seen when the target gap was first solved; -1 if never.
  std::size_t gap_reached = 0;        ///< The training gap at the end (the target unless a curriculum stalled).
  double seconds = 0.0;               ///< Wall time.
  std::size_t steps_run = 0;          ///< Optimiser steps taken (fewer than the budget when stopped early).
  bool gave_up = false;               ///< Stopped by `give_up_share`.
  std::size_t steps_to_beat_chance = 0;  ///< Step of the first check above chance; 0 if none.
};

/// Called every `eval_every` steps with (step, loss).
using TrainCallback = std::function<void(std::size_t step, double loss)>;

/// Trains `model` on sequences with gap `gap` drawn from `generator`.
TrainResult train(SequenceClassifier& model, const TaskOptions& task, std::size_t gap,
                  const TrainOptions& options, Generator& generator,
                  const TrainCallback& callback = {});

/// Accuracy on `count` fresh sequences with gap `gap` (no tape kept, no gradients).
double test_accuracy(SequenceClassifier& model, const TaskOptions& task, std::size_t gap,
                     std::size_t count, Generator& generator);

/// Accuracy of a recurrent model on `count` sequences of gap `gap`, read as a stream in chunks
/// of `chunk` steps under no_grad, carrying the state: memory stays that of one chunk however
/// long the gap (100,000 steps and beyond).
double stream_accuracy(RecurrentClassifier& model, const TaskOptions& task, std::size_t gap,
                       std::size_t count, std::size_t chunk, Generator& generator);

}  // namespace recur::examples
