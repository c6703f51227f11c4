// data_parallel: how training speed scales with MPI ranks, and what each step sends.
//
// A byte-level LSTM language model (embedding -> LSTM -> linear head, the char_rnn shape) trains
// on random bytes: the numbers are about speed and communication, not learning. Each rank runs
// its share of the global batch, the gradients are averaged by recur::distributed, and rank 0
// prints one line: ranks, batches, steps/s, the time spent averaging, bytes and MPI_Allreduce
// calls per step.
//
//   OPENBLAS_NUM_THREADS=1 ./data_parallel --global-batch 64            # one process
//   OPENBLAS_NUM_THREADS=1 mpirun -np 2 ./data_parallel --global-batch 64   # same global batch
//   OPENBLAS_NUM_THREADS=1 mpirun -np 2 ./data_parallel --batch-per-rank 64 # same work per rank
#include <chrono>
#include <iomanip>
#include <iostream>

#include <CLI/CLI.hpp>

#include <recur/recur.hpp>

#include "distributed/distributed.hpp"

using namespace recur;
namespace dist = recur::distributed;

namespace {

constexpr std::size_t kVocabulary = 256;

struct ByteModel : nn::Module {
  nn::Embedding& embed;
  nn::LSTM& lstm;
  nn::Linear& head;
  ByteModel(std::size_t embedding, std::size_t hidden, std::size_t layers)
      : embed(register_module(
            "embed", nn::Embedding({.num_embeddings = kVocabulary, .embedding_dim = embedding}))),
        lstm(register_module("lstm", nn::LSTM({.input_size = embedding, .hidden_size = hidden,
                                                .num_layers = layers}))),
        head(register_module("head",
                             nn::Linear({.in_features = hidden, .out_features = kVocabulary}))) {}
  // tokens [T, B] -> logits [T*B, 256]
  Var logits(Tape& tape, const IndexTensor& tokens) {
    const Var output = lstm(embed(tape, tokens)).output;  // [T, B, H]
    return head(reshape(output, {tokens.shape(0) * tokens.shape(1), output.shape()[2]}));
  }
};

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  dist::Environment environment(argc, argv);
  const dist::Communicator& world = environment.world();

  CLI::App app{"data_parallel: steps/s and communication of data-parallel LSTM training"};
  std::size_t global_batch = 0, batch_per_rank = 0, seq_len = 64, embedding = 64, hidden = 256,
              layers = 1, steps = 30, warmup = 5;
  app.add_option("--global-batch", global_batch, "sequences per step over all ranks");
  app.add_option("--batch-per-rank", batch_per_rank, "sequences per step on each rank");
  app.add_option("--seq-len", seq_len, "T, steps of BPTT")->capture_default_str();
  app.add_option("--embedding", embedding, "embedding size")->capture_default_str();
  app.add_option("--hidden", hidden, "LSTM hidden size")->capture_default_str();
  app.add_option("--layers", layers, "LSTM layers")->capture_default_str();
  app.add_option("--steps", steps, "timed steps")->capture_default_str();
  app.add_option("--warmup", warmup, "untimed steps first")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  try {
    if (global_batch == 0 && batch_per_rank == 0) global_batch = 64;
    if (global_batch == 0) global_batch = batch_per_rank * world.size();
    if (global_batch < static_cast<std::size_t>(world.size()))
      throw ValueError("data_parallel: --global-batch " + std::to_string(global_batch) +
                       " is smaller than the " + std::to_string(world.size()) + " ranks");
    const dist::Shard mine = dist::shard(global_batch, world);

    manual_seed(1);
    ByteModel model(embedding, hidden, layers);
    dist::broadcast_parameters(model, 0, world);
    optim::Adam adam(model.parameters(), {.lr = 1e-3});
    dist::GradientAverager averager(model.parameters(), world);
    Generator data(world.rank() + 1);  // each rank's own bytes: its shard of a random corpus
    Tape tape;

    double averaging_seconds = 0;
    std::chrono::steady_clock::time_point start;
    for (std::size_t step = 0; step < warmup + steps; ++step) {
      if (step == warmup) {
        world.barrier("data_parallel");  // time the same steps on every rank
        start = std::chrono::steady_clock::now();
        averaging_seconds = 0;
      }
      IndexTensor tokens = IndexTensor::from_shape({seq_len, mine.size()});
      IndexTensor targets = IndexTensor::from_shape({seq_len * mine.size()});
      for (auto& token : tokens) token = static_cast<std::int64_t>(data.below(kVocabulary));
      for (auto& target : targets) target = static_cast<std::int64_t>(data.below(kVocabulary));
      tape.clear();
      adam.zero_grad();
      const Var loss = cross_entropy(model.logits(tape, tokens), targets);
      tape.backward(loss);
      const auto before = std::chrono::steady_clock::now();
      averager.average(static_cast<double>(mine.size()));
      averaging_seconds += seconds_since(before);
      optim::clip_grad_norm(model.parameters(), 1.0);
      adam.step();
    }
    world.barrier("data_parallel");
    const double elapsed = seconds_since(start);
    // The ranks' mean time in averaging (it includes waiting for a slower rank).
    const double averaging = world.allreduce_sum(averaging_seconds, "data_parallel") / world.size();

    std::ostream& out = dist::root_out(world);
    out << std::fixed << std::setprecision(2) << "ranks " << world.size() << ", global batch "
        << global_batch << " (" << mine.size() << " on rank 0), T " << seq_len << ", H " << hidden
        << ", " << model.num_parameters() << " parameters: " << steps / elapsed << " steps/s, "
        << global_batch * seq_len * steps / elapsed << " tokens/s; averaging "
        << 1e3 * averaging / steps << " ms/step (" << averager.last_stats().allreduce_calls
        << " MPI_Allreduce, " << averager.last_stats().bytes << " bytes per rank per step)\n";
    return 0;
  } catch (const Error& error) {
    std::cerr << "data_parallel: " << error.what() << "\n";
    return 1;
  }
}
