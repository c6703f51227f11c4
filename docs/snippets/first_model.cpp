// Snippet for the landing page (docs/index.md): a complete model, trained and saved, in about
// twenty lines. The test checks that it learns and that the saved file loads back exactly.
#include <recur/recur.hpp>

#include <cstdio>
#include <filesystem>
#include <xtensor/xmath.hpp>

//! [first model]
// Reads a sequence of numbers and predicts their sum: x [T, B, 1] -> [B, 1].
struct Summer : recur::nn::Module {
  // Each layer is built, owned and named in one line (`lstm.weight_ih_l0`, `head.bias`).
  recur::nn::LSTM& lstm =
      register_module("lstm", recur::nn::LSTM({.input_size = 1, .hidden_size = 16}));
  recur::nn::Linear& head =
      register_module("head", recur::nn::Linear({.in_features = 16, .out_features = 1}));
  recur::Var forward(const recur::Var& x) {
    recur::Var output = lstm(x).output;                        // [T, B, 16]
    return head(recur::select(output, 0, x.dim(0) - 1));      // last step -> [B, 1]
  }
};

void train(Summer& model, int steps) {
  recur::optim::Adam adam(model.parameters(), {.lr = 1e-2});
  recur::Tape tape;
  for (int step = 0; step < steps; ++step) {
    recur::Tensor x = recur::default_generator().uniform({8, 32, 1}, -1.0f, 1.0f);
    recur::Tensor y = xt::sum(x, {0});                         // [B, 1]
    tape.clear();                                              // buffers are kept
    adam.zero_grad();
    recur::Var loss = recur::mse_loss(model.forward(tape.input(x)), tape.input(y));
    tape.backward(loss);                                       // BPTT through all 8 steps
    adam.step();
  }
  recur::nn::save(model, "summer.npz");                      // PyTorch's names, NumPy's format
}
//! [first model]

// The mean squared error on a fresh batch of 256 sequences.
float held_out_mse(Summer& model, const recur::Tensor& x) {
  recur::NoGradGuard no_grad;
  recur::Tape tape;
  const recur::Tensor y = xt::sum(x, {0});
  return recur::mse_loss(model.forward(tape.input(x)), tape.input(y)).value()();
}

int main() {
  recur::manual_seed(1);
  Summer model;
  const recur::Tensor x = recur::default_generator().uniform({8, 256, 1}, -1.0f, 1.0f);
  // Untrained, the error is about the variance of the sum of 8 uniform(-1, 1) numbers, 8/3.
  const float before = held_out_mse(model, x);
  train(model, 400);
  const float after = held_out_mse(model, x);

  // The saved file loads into a fresh model, which then predicts exactly the same.
  //! [save and load]
  recur::nn::save(model, "summer.npz");     // atomic: written to a temporary file, then renamed
  Summer reloaded;
  recur::nn::load(reloaded, "summer.npz");  // all or nothing: every name and shape checked first
  //! [save and load]
  std::filesystem::remove("summer.npz");
  recur::Tape tape;
  const recur::Tensor a = model.forward(tape.input(x)).value();
  const recur::Tensor b = reloaded.forward(tape.input(x)).value();
  const bool same = a == b;
  std::printf("held-out mse %.4f untrained, %.4f after 400 steps; reloaded model %s\n", before,
              after, same ? "identical" : "DIFFERENT");
  return same && after < before / 20 ? 0 : 1;
}
