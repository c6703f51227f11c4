// Training with truncated BPTT: the training text is cut into B streams read side by side, T
// bytes per step. The LSTM's state is carried from one chunk to the next as plain values (the
// detach: the next chunk starts from where the last one ended, but backward stops at the chunk's
// start), and reset to zero when the streams wrap around to the start.
//
// Under `mpirun -np N` the B streams are shared out over the ranks (recur::distributed): each
// rank reads its own streams, the gradients are averaged before clipping, and rank 0 alone
// validates, samples, prints and writes the checkpoint, so the run learns what one process with
// the same --batch would.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>

#include "../common/plot.hpp"
#include "char_rnn.hpp"
#include "distributed/distributed.hpp"

namespace char_rnn {
namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw recur::IoError("cannot read the text file " + path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw recur::IoError("error while reading " + path);
  return text;
}

// Inputs and next-byte targets of chunk `index` of `streams` streams from `first_stream` on, of
// equal streams laid end to end in `text` (stream s starts at s * stream_length): tokens [T, B],
// targets [T*B] (row t*B + b).
struct Chunk {
  recur::IndexTensor tokens;
  recur::IndexTensor targets;
};
Chunk chunk_at(const std::string& text, std::size_t first_stream, std::size_t streams,
               std::size_t stream_length, std::size_t chunk, std::size_t index) {
  Chunk out{recur::IndexTensor::from_shape({chunk, streams}),
            recur::IndexTensor::from_shape({chunk * streams})};
  for (std::size_t b = 0; b < streams; ++b)
    for (std::size_t t = 0; t < chunk; ++t) {
      const std::size_t at = (first_stream + b) * stream_length + index * chunk + t;
      out.tokens(t, b) = static_cast<unsigned char>(text[at]);
      out.targets(t * streams + b) = static_cast<unsigned char>(text[at + 1]);
    }
  return out;
}

// Mean cross-entropy (nats per byte) over the validation text, read as one stream in chunks
// under no_grad with the state carried.
double validation_loss(CharModel& model, const std::string& text, std::size_t chunk) {
  recur::NoGradGuard no_grad;
  recur::Tape tape;
  StateValues state = zero_state(model.shape(), 1);
  const std::size_t chunks = (text.size() - 1) / chunk;
  double total = 0;
  for (std::size_t k = 0; k < chunks; ++k) {
    const Chunk data = chunk_at(text, 0, 1, text.size(), chunk, k);
    tape.clear();
    recur::nn::LSTMState lstm_state{tape.input(state.h), tape.input(state.c)};
    total += recur::cross_entropy(model.forward(tape, data.tokens, lstm_state), data.targets)
                 .value()();
    state = {lstm_state.h.value(), lstm_state.c.value()};
  }
  return total / double(chunks);
}

void write_loss_outputs(const std::string& dir, const std::vector<std::vector<std::string>>& rows) {
  recur::examples::write_csv(dir + "/losses.csv", {"step", "train_loss", "val_loss"}, rows);
  std::string script;
  for (const char* format : {"png", "svg"}) {
    script += std::string("set terminal ") +
              (format == std::string("png") ? "pngcairo size 800,500" : "svg size 800,500") +
              "\nset output '" + dir + "/losses." + format + "'\n" +
              "set datafile separator ','\nset grid\nset xlabel 'training step'\n"
              "set ylabel 'cross-entropy (nats per byte)'\nset title 'char\\_rnn'\n"
              "plot '" + dir + "/losses.csv' using 1:2 with linespoints lw 2 title 'train', "
              "'' using 1:3 with linespoints lw 2 title 'validation'\n";
  }
  recur::examples::render_gnuplot(dir + "/losses.gp", script);
}

}  // namespace

void train(const TrainOptions& options) {
  // This process's share of the streams; only rank 0 prints (a single process is rank 0).
  const recur::distributed::Communicator& world = recur::distributed::world();
  const recur::distributed::RootOnlyConsole console(world);
  if (options.batch < static_cast<std::size_t>(world.size()))
    throw recur::ValueError("--batch " + std::to_string(options.batch) + " gives fewer streams than the " +
                            std::to_string(world.size()) + " ranks; each rank needs at least one");
  const recur::distributed::Shard streams = recur::distributed::shard(options.batch, world);

  // The text: the last tenth validates, the rest trains as B streams of whole chunks.
  const std::string text = read_text(options.text_path);
  const std::size_t validation_size = std::max<std::size_t>(text.size() / 10, options.chunk + 1);
  const std::size_t stream_length =
      text.size() > validation_size ? (text.size() - validation_size - 1) / options.batch : 0;
  const std::size_t chunks_per_epoch = stream_length / options.chunk;
  if (chunks_per_epoch == 0)
    throw recur::ValueError(options.text_path + " has " +
                            std::to_string(text.size()) + " bytes, too few for --batch " +
                            std::to_string(options.batch) + " and --chunk " +
                            std::to_string(options.chunk) + " (needs at least " +
                            std::to_string(options.batch * options.chunk * 10 / 9 + options.chunk + 2) +
                            ")");
  const std::string train_text = text.substr(0, text.size() - validation_size);
  const std::string validation_text = text.substr(text.size() - validation_size);

  // The model (sizes from the checkpoint when resuming), its optimiser and the generator of
  // the samples: what a checkpoint holds.
  recur::manual_seed(options.seed);
  const ModelShape shape = options.resume.empty() ? options.shape : read_model_shape(options.resume);
  CharModel model(shape);
  recur::optim::Adam optimizer(model.parameters(), {.lr = options.lr});
  recur::Generator sampler(options.seed);
  const recur::optim::CheckpointParts parts{.model = &model, .optimizer = &optimizer,
                                            .generator = &sampler};
  std::size_t step = 0;
  if (!options.resume.empty()) {
    step = recur::distributed::load_checkpoint(options.resume, parts, world);
    std::cout << "resumed from " << options.resume << " at step " << step << "\n";
  }
  // Every rank starts from rank 0's weights, and averages its gradients with the others'.
  recur::distributed::broadcast_parameters(model, 0, world);
  recur::distributed::GradientAverager averager(model.parameters(), world);
  if (world.is_root()) std::filesystem::create_directories(options.out_dir);
  const std::string checkpoint_path = options.out_dir + "/checkpoint.npz";
  std::cout << "text " << options.text_path << ": " << train_text.size() << " bytes to train on, "
            << validation_text.size() << " to validate; " << model.num_parameters()
            << " parameters; " << options.batch << " streams x " << options.chunk
            << " bytes per step, " << chunks_per_epoch << " steps per pass\n";
  if (world.size() > 1)
    std::cout << "data-parallel over " << world.size() << " ranks, rank 0 reads streams ["
              << streams.begin << ", " << streams.end << "); " << averager.num_buckets()
              << " allreduce of " << averager.num_values() * sizeof(float) << " bytes per step\n";

  recur::Tape tape;
  StateValues state = zero_state(shape, streams.size());
  std::vector<std::vector<std::string>> rows;
  double train_sum = 0;
  std::size_t train_count = 0;
  recur::Progress progress({.total = options.steps, .label = "char_rnn"});
  while (step < options.steps) {
    // One chunk per stream; back to the start (and a zero state) after a full pass.
    const std::size_t index = step % chunks_per_epoch;
    if (index == 0) state = zero_state(shape, streams.size());
    const Chunk data =
        chunk_at(train_text, streams.begin, streams.size(), stream_length, options.chunk, index);

    tape.clear();
    optimizer.zero_grad();
    recur::nn::LSTMState lstm_state{tape.input(state.h), tape.input(state.c)};
    const recur::Var loss =
        recur::cross_entropy(model.forward(tape, data.tokens, lstm_state), data.targets);
    tape.backward(loss);
    averager.average(static_cast<double>(streams.size()));  // now the gradient of all B streams
    recur::optim::clip_grad_norm(model.parameters(), options.clip);
    optimizer.step();
    state = {lstm_state.h.value(), lstm_state.c.value()};  // detached: values, no history
    ++step;
    train_sum += loss.value()();
    ++train_count;
    progress.update(step, loss.value()());

    // Now and then: validation loss, a sample, a checkpoint (rank 0 alone; the others wait at
    // the next step's averaging). The training loss is the mean over every rank's streams.
    if (step % options.eval_every != 0 && step != options.steps) continue;
    const double train_mean =
        world.allreduce_sum(train_sum * double(streams.size()), "char_rnn train loss") /
        (double(train_count) * double(options.batch));
    train_sum = 0;
    train_count = 0;
    recur::distributed::run_on_root("char_rnn evaluation", [&] {
      const double validation = validation_loss(model, validation_text, options.chunk);
      rows.push_back({std::to_string(step), recur::examples::fixed(train_mean, 4),
                      recur::examples::fixed(validation, 4)});
      recur::optim::save_checkpoint(checkpoint_path, parts, step);
      std::string text_sample =
          generate(model, "Alice ", options.sample_length, options.temperature, sampler);
      std::cout << "\nstep " << step << ": train " << recur::examples::fixed(train_mean, 3)
                << ", validation " << recur::examples::fixed(validation, 3) << " nats/byte ("
                << recur::examples::fixed(validation / std::log(2.0), 2) << " bits); saved "
                << checkpoint_path << "\n--- sample ---\nAlice " << text_sample
                << "\n--------------\n" << std::flush;
    }, world);
  }
  progress.finish();
  if (!rows.empty()) write_loss_outputs(options.out_dir, rows);  // rows: rank 0 only
  std::cout << "checkpoint: " << checkpoint_path << "; losses: " << options.out_dir
            << "/losses.{csv,png,svg}\n";
}

}  // namespace char_rnn
