// Snippet for docs/writing_a_cell.md. It checks what the page states: the peephole LSTM,
// declared once as its step (peephole_lstm.hpp), runs as a whole multi-layer, bidirectional,
// padded-batch layer; the engine's values and gradients equal its op-by-op reference; and the
// layer learns to tell which of four symbols came first, five steps back.
#include <recur/recur.hpp>

#include <cmath>
#include <cstdio>

#include "layers/recurrent.hpp"  // nn::Recurrent<Cell>: compiles the cell's kernels here
#include "peephole_lstm.hpp"

namespace {

// Sequences of T one-hot symbols out of 4; the label is the first one.
struct Batch {
  recur::Tensor x;            // [T, B, 4]
  recur::IndexTensor labels;  // [B]
};

Batch first_symbol_batch(std::size_t T, std::size_t B, recur::Generator& gen) {
  Batch batch{recur::zeros({T, B, 4}), recur::IndexTensor(recur::Shape{B})};
  for (std::size_t b = 0; b < B; ++b)
    for (std::size_t t = 0; t < T; ++t) {
      const std::size_t symbol = gen.next_u64() % 4;
      batch.x(t, b, symbol) = 1.0f;
      if (t == 0) batch.labels(b) = static_cast<std::int64_t>(symbol);
    }
  return batch;
}

//! [use the cell]
struct Classifier : recur::nn::Module {
  recur::nn::Recurrent<PeepholeLSTM>& rnn = register_module(
      "rnn", recur::nn::Recurrent<PeepholeLSTM>({.input_size = 4, .hidden_size = 24}));
  recur::nn::Linear& head =
      register_module("head", recur::nn::Linear({.in_features = 24, .out_features = 4}));
  recur::Var forward(const recur::Var& x) {                 // x [T, B, 4]
    const recur::nn::RecurrentResult r = rnn(x);            // r.states: {h_n, c_n}
    return head(recur::select(r.states[0], 0, 0));          // h_n of the one layer: [B, 24]
  }
};
//! [use the cell]

// The largest difference of two tensors, relative to the largest element of the second.
double difference(const recur::Tensor& a, const recur::Tensor& b) {
  double worst = 0, scale = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    worst = std::max(worst, std::abs(double(a.data()[i]) - b.data()[i]));
    scale = std::max(scale, std::abs(double(b.data()[i])));
  }
  return worst / scale;
}

// The engine against its reference on a layer with every option: values and one gradient.
double engine_against_reference() {
  //! [every option]
  recur::nn::Recurrent<PeepholeLSTM> layer({.input_size = 3, .hidden_size = 8, .num_layers = 2,
                                            .batch_first = true, .bidirectional = true,
                                            .proj_size = 5});
  recur::Tensor x = recur::default_generator().uniform({4, 6, 3}, -1.0f, 1.0f);  // [B, T, I]
  recur::IndexTensor lengths = {6, 2, 5, 3};              // a padded batch, in any order
  recur::Tape tape;
  recur::nn::RecurrentResult r = layer(tape.input(x), lengths);
  // r.output [4, 6, 10]; r.states[0] (h_n) [4, 4, 5]; r.states[1] (c_n) [4, 4, 8]
  //! [every option]
  tape.backward(recur::sum(recur::mul(r.output, r.output)));
  const recur::Tensor output = r.output.value();
  const recur::Tensor grad = layer.parameters()[5]->grad;  // weight_ci_l0
  layer.zero_grad();
  //! [reference]
  recur::nn::ReferencePathGuard step_by_step;   // the same layer, op by op on the tape
  recur::Tape reference_tape;
  recur::nn::RecurrentResult reference = layer(reference_tape.input(x), lengths);
  //! [reference]
  reference_tape.backward(recur::sum(recur::mul(reference.output, reference.output)));
  return std::max(difference(output, reference.output.value()),
                  difference(grad, layer.parameters()[5]->grad));
}

}  // namespace

int main() {
  recur::manual_seed(3);
  const double gap = engine_against_reference();

  Classifier model;
  recur::optim::Adam adam(model.parameters(), {.lr = 1e-2});
  recur::Generator data(5);
  recur::Tape tape;
  for (int step = 0; step < 300; ++step) {
    const Batch batch = first_symbol_batch(6, 32, data);
    tape.clear();
    adam.zero_grad();
    tape.backward(recur::cross_entropy(model.forward(tape.input(batch.x)), batch.labels));
    adam.step();
  }
  const Batch test = first_symbol_batch(6, 512, data);
  recur::NoGradGuard no_grad;
  tape.clear();
  const recur::Tensor logits = model.forward(tape.input(test.x)).value();
  std::size_t right = 0;
  for (std::size_t b = 0; b < 512; ++b) {
    std::size_t best = 0;
    for (std::size_t k = 1; k < 4; ++k)
      if (logits(b, k) > logits(b, best)) best = k;
    right += static_cast<std::int64_t>(best) == test.labels(b);
  }
  const double accuracy = static_cast<double>(right) / 512;
  std::printf("engine against reference: largest relative difference %.2g; first-symbol "
              "accuracy after 300 steps %.3f (chance 0.25)\n", gap, accuracy);
  return gap < 1e-5 && accuracy > 0.95 ? 0 : 1;
}
