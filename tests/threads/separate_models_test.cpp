// What docs/threads.md promises: one tape per thread, thread-local generator and modes, so two
// threads training two models at once get bitwise the results of training them one after another.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <thread>
#include <vector>

#include "autograd/anomaly.hpp"
#include "autograd/no_grad.hpp"
#include "autograd/ops/elementwise.hpp"
#include "autograd/ops/linalg.hpp"
#include "autograd/ops/losses.hpp"
#include "autograd/ops/nn_ops.hpp"
#include "autograd/ops/reductions.hpp"
#include "autograd/ops/shape_ops.hpp"
#include "autograd/parameter.hpp"
#include "autograd/tape.hpp"
#include "core/random.hpp"
#include "core/tensor.hpp"

using namespace recur;

namespace {

// A tiny Elman RNN with a linear head, from ops: h_t = tanh(x_t W_ih^T + h_{t-1} W_hh^T + b),
// prediction = dropout(h_T) w_out^T. x: [T, B, I] -> [B, 1].
struct TinyRnn {
  Parameter w_ih, w_hh, bias, w_out;
  explicit TinyRnn(std::size_t input, std::size_t hidden)
      : w_ih(default_generator().uniform({hidden, input}, -0.3f, 0.3f)),
        w_hh(default_generator().uniform({hidden, hidden}, -0.3f, 0.3f)),
        bias(default_generator().uniform({hidden}, -0.3f, 0.3f)),
        w_out(default_generator().uniform({1, hidden}, -0.3f, 0.3f)) {}
  std::vector<Parameter*> parameters() { return {&w_ih, &w_hh, &bias, &w_out}; }
};

// Trains a fresh model for `steps` SGD steps on data drawn from the calling thread's default
// generator, seeded with `seed`; returns every parameter's final values.
std::vector<Tensor> train(std::uint64_t seed, int steps) {
  manual_seed(seed);
  AnomalyModeGuard anomaly(seed % 2 == 0);  // one thread checks, the other does not
  const std::size_t T = 12, B = 4, I = 3, H = 8;
  TinyRnn model(I, H);
  Tape tape;
  for (int step = 0; step < steps; ++step) {
    tape.clear();
    const Tensor x = default_generator().normal({T, B, I}, 0.0f, 1.0f);
    const Tensor y = default_generator().normal({B, 1}, 0.0f, 1.0f);
    Var w_ih = tape.parameter(model.w_ih), w_hh = tape.parameter(model.w_hh);
    Var bias = tape.parameter(model.bias), w_out = tape.parameter(model.w_out);
    Var inputs = tape.input(x);
    Var h = tape.input(zeros({B, H}));
    for (std::size_t t = 0; t < T; ++t) {
      Var x_t = select(inputs, 0, t);
      h = tanh(add(add(linear(x_t, w_ih), linear(h, w_hh)), bias));
    }
    Var prediction = linear(dropout(h, 0.2f, true), w_out);
    Var loss = mse_loss(prediction, tape.input(y));
    tape.backward(loss);
    for (Parameter* parameter : model.parameters()) {
      xt::noalias(parameter->value) -= 0.05f * parameter->grad;
      parameter->bump_version();
      parameter->zero_grad();
    }
  }
  std::vector<Tensor> values;
  for (Parameter* parameter : model.parameters()) values.push_back(parameter->value);
  return values;
}

bool bitwise_equal(const std::vector<Tensor>& a, const std::vector<Tensor>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].shape() != b[i].shape()) return false;
    if (!std::equal(a[i].begin(), a[i].end(), b[i].begin(),
                    [](float x, float y) { return std::bit_cast<std::uint32_t>(x) ==
                                                  std::bit_cast<std::uint32_t>(y); }))
      return false;
  }
  return true;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(threads)

BOOST_AUTO_TEST_CASE(two_threads_training_two_models_match_sequential_runs_bitwise) {
  const int steps = 60;
  const std::vector<Tensor> first_alone = train(11, steps);
  const std::vector<Tensor> second_alone = train(24, steps);
  BOOST_TEST(!bitwise_equal(first_alone, second_alone));  // the two runs really differ

  std::vector<Tensor> first_threaded, second_threaded;
  std::thread first([&] { first_threaded = train(11, steps); });
  std::thread second([&] { second_threaded = train(24, steps); });
  first.join();
  second.join();
  BOOST_TEST(bitwise_equal(first_threaded, first_alone));
  BOOST_TEST(bitwise_equal(second_threaded, second_alone));
}

BOOST_AUTO_TEST_CASE(default_generator_and_no_grad_are_per_thread) {
  manual_seed(5);
  const float here = default_generator().next_float();
  manual_seed(5);
  NoGradGuard no_grad;
  float there = 0.0f;
  bool grad_there = false;
  std::thread([&] {
    manual_seed(99);  // seeds this thread's generator only
    there = default_generator().next_float();
    grad_there = grad_enabled();
  }).join();
  BOOST_TEST(grad_there);
  BOOST_TEST(!grad_enabled());
  BOOST_TEST(default_generator().next_float() == here);  // untouched by the other thread
  BOOST_TEST(there != here);
}

BOOST_AUTO_TEST_SUITE_END()
