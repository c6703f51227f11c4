// quickstart: a user's first recur model, walked through in docs/quickstart.md.
//
// The task, generated on the fly: read a sequence of T random tokens and name its *first* token
// at the end. The answer is T steps back, so the model has to carry it in its LSTM state.
//
//   tokens [T, B] -> Embedding -> [T, B, E] -> 2-layer LSTM -> [T, B, H] -> last step [B, H]
//                 -> Linear -> logits [B, V] -> cross-entropy against the first token
//
// It trains, prints the loss falling, saves the model to a .npz, loads it into a fresh model and
// checks that both predict the same; the exit status is non-zero if they do not.
//
//   quickstart [--steps 300] [--seed 1] [--lr 0.01] [--seq-len 6] [--model quickstart_model.npz]
//              [--csv loss.csv]
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>

#include "recur/recur.hpp"

using namespace recur;

namespace {

// Command-line options with their defaults.
struct Config {
  int steps = 300;
  std::uint64_t seed = 1;
  std::string model_path = "quickstart_model.npz";
  std::string csv_path;                // no CSV unless asked for
  std::size_t vocab = 8;               // V: token values, and so classes
  std::size_t seq_len = 6;             // T
  std::size_t batch = 32;              // B
  std::size_t embedding_dim = 16;      // E
  std::size_t hidden_size = 32;        // H
  double learning_rate = 1e-2;        // Adam's step size
  double max_grad_norm = 1.0;
};

Config parse_args(int argc, char** argv) {
  Config config;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) {
      std::cerr << "quickstart: " << flag << " needs a value\n";
      std::exit(2);
    }
    const std::string value = argv[++i];
    if (flag == "--steps") config.steps = std::stoi(value);
    else if (flag == "--seed") config.seed = std::stoull(value);
    else if (flag == "--model") config.model_path = value;
    else if (flag == "--csv") config.csv_path = value;
    else if (flag == "--lr") config.learning_rate = std::stod(value);
    else if (flag == "--seq-len") config.seq_len = std::stoul(value);
    else {
      std::cerr << "quickstart: unknown option " << flag
                << " (options: --steps N --seed S --lr LR --seq-len T --model PATH --csv PATH)\n";
      std::exit(2);
    }
  }
  return config;
}

// [model]
// The model: each layer is built, handed to the model and named in one place, under the name
// PyTorch would give the attribute, so the saved file's entries are embed.weight,
// lstm.weight_ih_l0, ..., head.bias.
struct FirstTokenClassifier : nn::Module {
  nn::Embedding& embed;
  nn::LSTM& lstm;
  nn::Linear& head;

  explicit FirstTokenClassifier(const Config& config)
      : embed(register_module("embed", nn::Embedding({.num_embeddings = config.vocab,
                                                       .embedding_dim = config.embedding_dim}))),
        lstm(register_module("lstm", nn::LSTM({.input_size = config.embedding_dim,
                                                .hidden_size = config.hidden_size,
                                                .num_layers = 2}))),
        head(register_module("head", nn::Linear({.in_features = config.hidden_size,
                                                  .out_features = config.vocab}))) {}

  // tokens [T, B] -> logits [B, V]
  Var forward(Tape& tape, const IndexTensor& tokens) {
    const Var embedded = embed(tape, tokens);                 // [T, B, E]
    const Var output = lstm(embedded).output;                 // [T, B, H]
    const Var last = select(output, 0, tokens.shape(0) - 1);  // [B, H]
    return head(last);                                        // [B, V]
  }
};
// [model]

// A batch of the task: random tokens [T, B], and each column's first token as its label [B].
struct Batch {
  IndexTensor tokens;
  IndexTensor labels;
};

Batch make_batch(Generator& generator, const Config& config, std::size_t batch) {
  Batch out{IndexTensor::from_shape({config.seq_len, batch}), IndexTensor::from_shape({batch})};
  for (auto& token : out.tokens) token = static_cast<std::int64_t>(generator.below(config.vocab));
  for (std::size_t b = 0; b < batch; ++b) out.labels(b) = out.tokens(0, b);
  return out;
}

// Build, train, evaluate, save and reload; 0 when the reloaded model agrees.
int run(const Config& config) {
  // 1. Build the model. Weights are drawn from the default generator, so the seed fixes them.
  manual_seed(config.seed);
  FirstTokenClassifier model(config);
  std::cout << "model: " << model.num_parameters() << " parameters\n";
  for (auto& [name, parameter] : model.named_parameters())
    std::cout << "  " << name << " " << shape_str(parameter->value.shape()) << "\n";

  // [train]
  // 2. Train: the tape records each step's forward pass; backward fills every Parameter::grad.
  nn::CrossEntropyLoss criterion;
  Generator data(config.seed + 1000);
  std::ofstream csv;
  if (!config.csv_path.empty()) {
    csv.open(config.csv_path);
    csv << "step,loss\n";
  }
  optim::Adam optimizer(model.parameters(), {.lr = config.learning_rate});
  Tape tape;
  double running = 0.0;
  for (int step = 1; step <= config.steps; ++step) {
    const Batch batch = make_batch(data, config, config.batch);
    tape.clear();  // forget the previous step, keep its buffers
    const Var loss = criterion(model.forward(tape, batch.tokens), batch.labels);
    tape.backward(loss);
    // Clipping the gradients' joint norm keeps an LSTM's occasional large gradient from
    // undoing what it has learnt.
    optim::clip_grad_norm(model.parameters(), config.max_grad_norm);
    optimizer.step();
    optimizer.zero_grad();

    const double value = loss.value()();
    if (csv.is_open()) csv << step << "," << value << "\n";
    running = step == 1 ? value : 0.9 * running + 0.1 * value;
    if (step == 1 || step % 25 == 0)
      std::printf("step %4d  loss %.4f\n", step, running);
  }
  // [train]

  // 3. Evaluate on sequences the model has not seen (eval() would switch dropout off).
  model.eval();
  const Batch held_out = make_batch(data, config, 256);
  Tensor logits;
  {
    NoGradGuard no_grad;  // inference records no backward rules
    tape.clear();
    logits = model.forward(tape, held_out.tokens).value();
  }
  const IndexTensor predicted = argmax(logits, 1);  // [B, V] -> the best class [B]
  std::printf("held-out accuracy %.3f (chance %.3f)\n",
              data::accuracy(predicted, held_out.labels), 1.0 / static_cast<double>(config.vocab));

  // [save and load]
  // 4. Save, load into a fresh model with different initial weights, and compare.
  nn::save(model, config.model_path);
  manual_seed(config.seed + 1);
  FirstTokenClassifier restored(config);
  nn::load(restored, config.model_path);
  restored.eval();
  Tensor restored_logits;
  {
    NoGradGuard no_grad;
    tape.clear();
    restored_logits = restored.forward(tape, held_out.tokens).value();
  }
  if (!(restored_logits == logits)) {
    std::printf("FAILED: the model loaded from %s predicts differently\n", config.model_path.c_str());
    return 1;
  }
  // [save and load]
  std::printf("saved %s; a fresh model loaded from it gives the same %zu predictions\n",
              config.model_path.c_str(), predicted.size());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(parse_args(argc, argv));
  } catch (const recur::Error& error) {  // a bad path, a file that does not fit the model ...
    std::fprintf(stderr, "quickstart: %s\n", error.what());
    return 1;
  }
}
