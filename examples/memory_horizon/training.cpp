#include "training.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iostream>
#include <optional>
#include <vector>

#include "autograd/no_grad.hpp"
#include "autograd/ops/losses.hpp"
#include "autograd/ops/reductions.hpp"
#include "distributed/distributed.hpp"
#include "layers/data_metrics.hpp"
#include "optim/adam.hpp"
#include "optim/clip.hpp"

namespace recur::examples {
namespace {

// Under `mpirun -np N` every rank runs the whole program; train() splits each batch over the
// ranks. Only rank 0 prints: set up before main() so that main's first line is printed once.
// (Files are written by every rank, with the same contents.) One process: rank 0, no change.
const distributed::RootOnlyConsole root_only_console{distributed::world()};

// True when `accuracy` on `count` sequences lies three standard errors above chance (1/K).
bool beats_chance(double accuracy, const TaskOptions& task, std::size_t count) {
  const double chance = 1.0 / static_cast<double>(task.keys);
  return accuracy > chance + 3.0 * std::sqrt(chance * (1.0 - chance) / static_cast<double>(count));
}

// How many rows of logits [B, K] put their largest value on the label's class.
std::size_t count_correct(const Tensor& logits, const IndexTensor& labels) {
  return data::num_correct(argmax(logits, 1), labels);
}

// The share of `count` fresh sequences that `model` classifies right, in eval mode under no_grad,
// in batches of at most 256 sequences and 16,384 tokens (the tape keeps every step's values of a
// batch: at gap 1000, 256 sequences took 780 MiB in the LRU; at gap 256, 254 took 809 MiB in the
// layer-normalised LSTM, 63 take 346 MiB): `correct_in(tape, batch)` draws `batch` sequences of
// `length` tokens, runs the model on `tape` and returns how many it got right.
template <class CorrectIn>
double accuracy_in_batches(SequenceClassifier& model, std::size_t count, std::size_t length,
                           CorrectIn&& correct_in) {
  model.eval();
  NoGradGuard no_grad;
  Tape tape;
  const std::size_t largest =
      std::clamp<std::size_t>(16384 / std::max<std::size_t>(length, 1), 1, 256);
  std::size_t correct = 0, seen = 0;
  while (seen < count) {
    const std::size_t batch = std::min(largest, count - seen);
    correct += correct_in(tape, batch);
    seen += batch;
  }
  return static_cast<double>(correct) / static_cast<double>(count);
}

}  // namespace

TrainResult train(SequenceClassifier& model, const TaskOptions& task, std::size_t gap,
                  const TrainOptions& options, Generator& generator,
                  const TrainCallback& callback) {
  const auto start = std::chrono::steady_clock::now();
  model.train();
  optim::Adam optimizer(model.parameters(), {.lr = options.lr});
  TrainResult result;
  // Data-parallel (one process: a no-op): every rank starts from rank 0's weights, draws the
  // same batches from `generator` and trains on its share of each, gradients averaged.
  const distributed::Communicator& world = distributed::world();
  if (options.batch < static_cast<std::size_t>(world.size()))
    throw ValueError("memory_horizon: batch " + std::to_string(options.batch) + " is smaller than the " +
                     std::to_string(world.size()) + " ranks it is split over");
  const distributed::Shard mine = distributed::shard(options.batch, world);
  distributed::broadcast_parameters(model, 0, world);
  distributed::GradientAverager averager(model.parameters(), world);
  std::size_t training_gap = options.curriculum ? std::min<std::size_t>(1, gap) : gap;
  double loss_sum = 0.0;
  std::size_t loss_count = 0;
  bool beat_chance = false;
  Tape tape;
  for (std::size_t step = 1; step <= options.steps; ++step) {
    result.steps_run = step;
    // One step: fresh sequences, forward, backward, clip, Adam.
    TaskBatch batch = make_batch(task, training_gap, options.batch, generator);
    if (world.size() > 1)
      batch = {distributed::take_shard(batch.tokens, 1, mine), distributed::take_shard(batch.labels, 0, mine)};
    tape.clear();
    const Var loss = cross_entropy(model.logits(tape, batch.tokens), batch.labels);
    tape.backward(loss);
    averager.average(static_cast<double>(mine.size()));
    optim::clip_grad_norm(model.parameters(), options.clip);
    optimizer.step();
    optimizer.zero_grad();
    loss_sum += loss.value()();
    ++loss_count;

    if (step % options.eval_every != 0 && step != options.steps) continue;
    // The mean over every rank's sequences (each rank's loss is the mean over its share).
    result.final_loss = world.allreduce_sum(loss_sum * static_cast<double>(mine.size()), "train loss") /
                        static_cast<double>(loss_count * options.batch);
    loss_sum = 0.0;
    loss_count = 0;
    if (callback) callback(step, result.final_loss);
    // Is the current training gap solved? Then grow it (curriculum) or note when the target
    // gap was first solved, in training sequences, as Hochreiter and Schmidhuber counted.
    const double accuracy = test_accuracy(model, task, training_gap, options.eval_sequences, generator);
    model.train();
    if (!beat_chance && beats_chance(accuracy, task, options.eval_sequences)) {
      beat_chance = true;
      result.steps_to_beat_chance = step;
    }
    if (!beat_chance && options.give_up_share > 0.0 &&
        static_cast<double>(step) >= options.give_up_share * static_cast<double>(options.steps)) {
      result.gave_up = true;
      break;
    }
    if (accuracy < options.solved_accuracy) continue;
    if (training_gap < gap) {
      training_gap = std::min(gap, training_gap * 2);
    } else if (result.sequences_to_solve < 0) {
      result.sequences_to_solve = static_cast<std::int64_t>(step * options.batch);
      if (options.stop_when_solved) break;
    }
  }
  result.gap_reached = training_gap;
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

double test_accuracy(SequenceClassifier& model, const TaskOptions& task, std::size_t gap,
                     std::size_t count, Generator& generator) {
  return accuracy_in_batches(model, count, gap + 2, [&](Tape& tape, std::size_t batch) {
    const TaskBatch data = make_batch(task, gap, batch, generator);
    tape.clear();
    return count_correct(model.logits(tape, data.tokens).value(), data.labels);
  });
}

double stream_accuracy(RecurrentClassifier& model, const TaskOptions& task, std::size_t gap,
                       std::size_t count, std::size_t chunk, Generator& generator) {
  return accuracy_in_batches(model, count, chunk, [&](Tape& tape, std::size_t batch) {
    // The first chunk holds the key; the rest of the gap follows chunk by chunk, each on a
    // cleared tape, with the state carried over (copied out before the tape is cleared).
    const TaskBatch head = make_batch(task, std::min(gap, chunk - 1), batch, generator);
    std::size_t remaining = gap - std::min(gap, chunk - 1);
    Var logits;
    StreamState state = model.read_chunk(tape, head.tokens, {}, remaining == 0 ? &logits : nullptr);
    // The states' values outlive the tape, which is cleared before each chunk.
    // (A default Tensor is a scalar, not nothing: the states a cell does not have stay empty.)
    std::vector<std::optional<Tensor>> carried_values;
    const auto keep = [&] {
      carried_values.clear();
      for (const Var& s : state.states)
        carried_values.push_back(s.defined() ? std::optional<Tensor>(s.value()) : std::nullopt);
    };
    keep();
    while (remaining > 0) {
      const std::size_t steps = std::min(remaining, chunk);
      remaining -= steps;
      tape.clear();
      StreamState carried;
      for (std::size_t i = 0; i < carried_values.size(); ++i)
        if (carried_values[i]) carried.states[i] = tape.input(*carried_values[i]);
      state = model.read_chunk(tape, noise_chunk(task, steps, batch, generator), carried,
                               remaining == 0 ? &logits : nullptr);
      keep();
    }
    return count_correct(logits.value(), head.labels);
  });
}

}  // namespace recur::examples
