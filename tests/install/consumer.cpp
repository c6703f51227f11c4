// Links the installed library and checks one gradient through it, then declares a recurrent
// cell of its own against the installed headers (layers/recurrent.hpp compiles the cell's
// kernels here) and runs it as a layer: its output and gradient agree with the op-by-op
// reference path.
#include <recur/recur.hpp>
#include <recur/layers/recurrent.hpp>

#include <cmath>
#include <optional>
#include <tuple>

// h' = tanh(z + u * h): a diagonal recurrence, written once as its step.
struct Diagonal {
  static constexpr const char* name = "Diagonal";
  static constexpr std::size_t gates = 1;
  static constexpr std::array<const char*, 1> states{"h"};
  static constexpr std::array<const char*, 1> vectors{"weight_u"};
  static constexpr recur::cell::Recurrence recurrence = recur::cell::Recurrence::none;
  static auto step(const auto& in) {
    const auto& [z] = in.gates;
    const auto& [h] = in.state;
    const auto& [u] = in.vectors;
    return std::tuple{tanh(z + u * h)};
  }
};

int main() {
  recur::Tape tape;
  recur::Var x = tape.input(recur::full({1, 1}, 3.0f), true);
  tape.backward(recur::mul(x, x), recur::full({1, 1}, 1.0f));
  if (x.grad()(0, 0) != 6.0f) return 1;  // d(x^2)/dx = 2x

  recur::nn::Recurrent<Diagonal> layer({.input_size = 3, .hidden_size = 5});
  const recur::Tensor input = recur::default_generator().uniform({4, 2, 3}, -1.0f, 1.0f);
  float results[2][2];
  for (int reference = 0; reference < 2; ++reference) {
    std::optional<recur::nn::ReferencePathGuard> guard;
    if (reference) guard.emplace();
    recur::Tape run;
    const recur::Var out = layer(run.input(input)).output;
    run.backward(recur::sum(recur::mul(out, out)));
    results[reference][0] = out.value()(3, 1, 4);
    results[reference][1] = layer.parameters()[0]->grad(0, 0);
    layer.zero_grad();
  }
  return std::abs(results[0][0] - results[1][0]) < 1e-5f &&
                 std::abs(results[0][1] - results[1][1]) < 1e-5f
             ? 0
             : 2;
}
