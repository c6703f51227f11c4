// Snippet for docs/recurrent_zoo.md. It checks what the page states: the parameter names and
// shapes of a sequence layer are torch.nn's, and each cell computes the equations shown, with
// the gates in the order the page gives (LSTM i, f, g, o; GRU r, z, n with b_hn inside r * (.)).
#include <recur/recur.hpp>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

namespace nn = recur::nn;

namespace {

// x W^T + b for x [B, In], W [G, In], b [G] -> [B, G], written out in loops so that the check
// does not rest on the ops it checks.
recur::Tensor affine(const recur::Tensor& x, const recur::Tensor& w, const recur::Tensor& b) {
  recur::Tensor out = recur::zeros({x.shape(0), w.shape(0)});
  for (std::size_t r = 0; r < x.shape(0); ++r)
    for (std::size_t g = 0; g < w.shape(0); ++g) {
      double sum = b(g);
      for (std::size_t k = 0; k < x.shape(1); ++k) sum += double(x(r, k)) * w(g, k);
      out(r, g) = float(sum);
    }
  return out;
}

float sigmoid(float v) { return 1.0f / (1.0f + std::exp(-v)); }

// The largest difference between a layer's output and the hand computation.
float max_difference(const recur::Tensor& a, const recur::Tensor& b) {
  float worst = 0;
  for (std::size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::abs(a.data()[i] - b.data()[i]));
  return a.shape() == b.shape() ? worst : INFINITY;
}

const recur::Tensor& weight(nn::Module& module, const char* name) {
  return module.find_parameter(name)->value;
}

}  // namespace

int main() {
  int failures = 0;

  // 1. Names and shapes, against torch.nn.LSTM(3, 5, num_layers=2, bidirectional=True,
  //    proj_size=2).named_parameters() (torch 1.13).
  //! [names]
  nn::LSTM lstm({.input_size = 3, .hidden_size = 5, .num_layers = 2, .bidirectional = true,
                 .proj_size = 2});
  for (auto& [name, parameter] : lstm.named_parameters())
    std::printf("%-22s %s\n", name.c_str(), recur::shape_str(parameter->value.shape()).c_str());
  //! [names]
  const std::vector<std::pair<std::string, std::string>> torch_names = {
      {"weight_ih_l0", "[20, 3]"}, {"weight_hh_l0", "[20, 2]"}, {"bias_ih_l0", "[20]"},
      {"bias_hh_l0", "[20]"}, {"weight_hr_l0", "[2, 5]"},
      {"weight_ih_l0_reverse", "[20, 3]"}, {"weight_hh_l0_reverse", "[20, 2]"},
      {"bias_ih_l0_reverse", "[20]"}, {"bias_hh_l0_reverse", "[20]"},
      {"weight_hr_l0_reverse", "[2, 5]"},
      {"weight_ih_l1", "[20, 4]"}, {"weight_hh_l1", "[20, 2]"}, {"bias_ih_l1", "[20]"},
      {"bias_hh_l1", "[20]"}, {"weight_hr_l1", "[2, 5]"},
      {"weight_ih_l1_reverse", "[20, 4]"}, {"weight_hh_l1_reverse", "[20, 2]"},
      {"bias_ih_l1_reverse", "[20]"}, {"bias_hh_l1_reverse", "[20]"},
      {"weight_hr_l1_reverse", "[2, 5]"}};
  std::vector<std::pair<std::string, std::string>> ours;
  for (auto& [name, parameter] : lstm.named_parameters())
    ours.emplace_back(name, recur::shape_str(parameter->value.shape()));
  if (ours != torch_names) {
    std::printf("FAIL: the LSTM's parameters are not torch.nn.LSTM's\n");
    ++failures;
  }

  // 2. Each cell against its equations, on a batch of 2 with I = 3, H = 4.
  recur::Generator generator(7);
  const recur::Tensor x = generator.uniform({2, 3}, -1.0f, 1.0f);
  const recur::Tensor h = generator.uniform({2, 4}, -1.0f, 1.0f);
  const recur::Tensor c = generator.uniform({2, 4}, -1.0f, 1.0f);
  const std::size_t H = 4;
  recur::Tape tape;

  {  // RNN with relu: h' = relu(x W_ih^T + b_ih + h W_hh^T + b_hh)
    nn::RNNCell cell({.input_size = 3, .hidden_size = 4, .nonlinearity = nn::Nonlinearity::relu});
    const recur::Tensor got = cell(tape.input(x), tape.input(h)).value();
    recur::Tensor want = affine(x, weight(cell, "weight_ih"), weight(cell, "bias_ih")) +
                         affine(h, weight(cell, "weight_hh"), weight(cell, "bias_hh"));
    for (float& v : want) v = std::max(v, 0.0f);
    const float diff = max_difference(got, want);
    std::printf("RNNCell (relu) vs its equation: max difference %.2g\n", diff);
    failures += !(diff < 1e-5f);
  }
  {  // LSTM, gate rows i [0, H), f [H, 2H), g [2H, 3H), o [3H, 4H)
    nn::LSTMCell cell({.input_size = 3, .hidden_size = 4, .forget_bias = 1.0f});
    const nn::LSTMState got = cell(tape.input(x), {tape.input(h), tape.input(c)});
    const recur::Tensor gates =
        affine(x, weight(cell, "weight_ih"), weight(cell, "bias_ih")) +
        affine(h, weight(cell, "weight_hh"), weight(cell, "bias_hh"));
    recur::Tensor want_h = recur::zeros({2, H}), want_c = recur::zeros({2, H});
    for (std::size_t b = 0; b < 2; ++b)
      for (std::size_t j = 0; j < H; ++j) {
        const float i = sigmoid(gates(b, j)), f = sigmoid(gates(b, H + j));
        const float g = std::tanh(gates(b, 2 * H + j)), o = sigmoid(gates(b, 3 * H + j));
        want_c(b, j) = f * c(b, j) + i * g;
        want_h(b, j) = o * std::tanh(want_c(b, j));
      }
    const float diff = std::max(max_difference(got.h.value(), want_h),
                                max_difference(got.c.value(), want_c));
    std::printf("LSTMCell vs its equations: max difference %.2g\n", diff);
    failures += !(diff < 1e-5f);
    // forget_bias = 1 shifted the forget rows of bias_ih, and only those, by one: the bound of
    // the uniform initialisation is 1/sqrt(H) = 0.5.
    const recur::Tensor& bias_ih = weight(cell, "bias_ih");
    for (std::size_t j = 0; j < 4 * H; ++j) {
      const bool forget_row = j >= H && j < 2 * H;
      const bool ok = forget_row ? bias_ih(j) >= 0.5f : std::abs(bias_ih(j)) <= 0.5f;
      failures += !ok;
      if (!ok) std::printf("FAIL: bias_ih(%zu) = %f\n", j, bias_ih(j));
    }
  }
  {  // GRU, gate rows r [0, H), z [H, 2H), n [2H, 3H); b_hn inside the reset product
    nn::GRUCell cell({.input_size = 3, .hidden_size = 4});
    const recur::Tensor got = cell(tape.input(x), tape.input(h)).value();
    const recur::Tensor gx = affine(x, weight(cell, "weight_ih"), weight(cell, "bias_ih"));
    const recur::Tensor gh = affine(h, weight(cell, "weight_hh"), weight(cell, "bias_hh"));
    recur::Tensor want = recur::zeros({2, H});
    for (std::size_t b = 0; b < 2; ++b)
      for (std::size_t j = 0; j < H; ++j) {
        const float r = sigmoid(gx(b, j) + gh(b, j));
        const float z = sigmoid(gx(b, H + j) + gh(b, H + j));
        const float n = std::tanh(gx(b, 2 * H + j) + r * gh(b, 2 * H + j));
        want(b, j) = (1 - z) * n + z * h(b, j);
      }
    const float diff = max_difference(got, want);
    std::printf("GRUCell vs its equations: max difference %.2g\n", diff);
    failures += !(diff < 1e-5f);
  }
  {  // forget_bias shifts the forget rows of every bias_ih_l{k}, in every layer and direction
    recur::manual_seed(3);
    //! [forget bias]
    recur::nn::LSTM lstm({.input_size = 64, .hidden_size = 128, .forget_bias = 1.0f});
    //! [forget bias]
    const recur::Tensor& bias = weight(lstm, "bias_ih_l0");
    // Initialised in (-1/sqrt(128), 1/sqrt(128)) = (-0.088, 0.088), the forget rows plus 1.
    bool ok = true;
    for (std::size_t j = 0; j < 4 * 128; ++j)
      ok = ok && ((j >= 128 && j < 256) ? bias(j) > 0.9f : std::abs(bias(j)) < 0.09f);
    std::printf("forget_bias = 1: %s\n", ok ? "only the forget rows of bias_ih_l0 moved" : "FAIL");
    failures += !ok;
  }
  {  // a padded batch: the shapes the page gives, and zeros past each sequence's end
    const std::size_t T = 5, B = 3;
    recur::Tensor x_data = generator.uniform({T, B, 8}, -1.0f, 1.0f);
    recur::IndexTensor lengths = {5, 2, 4};
    const recur::Var x = tape.input(x_data);
    //! [lengths]
    recur::nn::GRU gru({.input_size = 8, .hidden_size = 16, .num_layers = 2, .bidirectional = true});
    auto [output, h_n] = gru(x, lengths);   // x [T, B, 8] -> output [T, B, 32], h_n [4, B, 16]
    //! [lengths]
    const bool shapes = recur::shape_str(output.shape()) == "[5, 3, 32]" &&
                        recur::shape_str(h_n.shape()) == "[4, 3, 16]";
    bool padded_zero = true;
    for (std::size_t t = 2; t < T; ++t)
      for (std::size_t k = 0; k < 32; ++k) padded_zero = padded_zero && output.value()(t, 1, k) == 0.0f;
    std::printf("GRU with lengths: output %s, h_n %s, steps past a length %s\n",
                recur::shape_str(output.shape()).c_str(), recur::shape_str(h_n.shape()).c_str(),
                padded_zero ? "zero" : "NOT ZERO");
    failures += !(shapes && padded_zero);
  }
  return failures == 0 ? 0 : 1;
}
