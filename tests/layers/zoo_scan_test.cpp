// minGRU's and minLSTM's parallel scan in log space: equal to their step loop on the engine,
// values and gradients, over short and long sequences; unbatched input; no lengths; and the scan
// and log g against finite differences.
#include <boost/test/unit_test.hpp>

#include "zoo_support.hpp"

using namespace recur;
using namespace recur::test;

BOOST_AUTO_TEST_SUITE(zoo_parallel_scan)

// The parallel scan and the engine's loop are the same function of the same parameters: values
// and gradients to 2e-5. Over long sequences the scan's gradient loses digits to cancellation
// (the gradient of a* = cumsum(log a) is a difference of sums that grow with T), in torch as in
// recur: for a minGRU of 16 units over 300 steps, torch's float32 scan is 1e-4 from the float64
// gradient, where the float32 loop is 2e-7. There the gradients are held to 1e-2 relative,
// plus 1e-2 of the tensor's largest element, and the values still to 2e-5.
template <class Layer, class LayerOptions>
void check_scan_equals_loop(LayerOptions options, std::size_t T, std::size_t B, bool initial) {
  default_generator().seed(T);  // the weights, whatever ran before
  options.parallel_scan = false;
  Layer layer(options);
  const std::size_t count = options.num_layers * (options.bidirectional ? 2 : 1);
  const Tensor x = Generator(T).uniform(options.batch_first ? Shape{B, T, options.input_size}
                                                            : Shape{T, B, options.input_size},
                                        -2.0f, 2.0f);
  const std::vector<Tensor> h0 =
      initial ? std::vector<Tensor>{Generator(5).uniform({count, B, options.hidden_size}, -1, 1)}
              : std::vector<Tensor>{};
  const Outcome loop = run_once(layer, x, nullptr, h0);
  layer.set_parallel_scan(true);
  const Outcome scan = run_once(layer, x, nullptr, h0);
  if (T <= 50) return expect_same(scan, loop, 2e-5, 2e-5);
  expect_same(Outcome{scan.values, {}}, Outcome{loop.values, {}}, 2e-5, 2e-5);
  for (std::size_t i = 0; i < scan.grads.size(); ++i) {
    double largest = 0;
    for (float g : loop.grads[i]) largest = std::max(largest, std::abs(double(g)));
    BOOST_TEST_CONTEXT("gradient " << i << " of a long sequence, largest " << largest)
        RECUR_CHECK_CLOSE(scan.grads[i], loop.grads[i], 1e-2, 1e-2 * largest);
  }
}

BOOST_AUTO_TEST_CASE(min_gru_and_min_lstm_parallel_scan_equals_the_step_loop) {
  check_scan_equals_loop<nn::MinGRU>(nn::MinGRUOptions{.input_size = 4, .hidden_size = 9}, 7, 3,
                                     false);
  check_scan_equals_loop<nn::MinGRU>(
      nn::MinGRUOptions{.input_size = 4, .hidden_size = 9, .num_layers = 2,
                        .batch_first = true, .bidirectional = true},
      12, 2, true);
  check_scan_equals_loop<nn::MinGRU>(nn::MinGRUOptions{.input_size = 3, .hidden_size = 16},
                                     300, 2, true);  // long: the log space must hold
  check_scan_equals_loop<nn::MinLSTM>(nn::MinLSTMOptions{.input_size = 4, .hidden_size = 9}, 7,
                                      3, false);
  check_scan_equals_loop<nn::MinLSTM>(
      nn::MinLSTMOptions{.input_size = 4, .hidden_size = 9, .num_layers = 2,
                         .batch_first = true, .bidirectional = true},
      12, 2, true);
  check_scan_equals_loop<nn::MinLSTM>(nn::MinLSTMOptions{.input_size = 3, .hidden_size = 16},
                                      300, 2, true);
}

BOOST_AUTO_TEST_CASE(min_gru_scan_runs_unbatched_and_refuses_lengths) {
  nn::MinGRU layer({.input_size = 4, .hidden_size = 6, .parallel_scan = true});
  Tape tape;
  const Var x = tape.input(Generator(2).uniform({5, 4}, -1, 1));
  const nn::RecurrentResult scan = layer(x);
  BOOST_TEST(scan.output.dim(0) == 5);
  BOOST_TEST(scan.output.dim(1) == 6);
  layer.set_parallel_scan(false);
  const nn::RecurrentResult loop = layer(x);
  RECUR_CHECK_CLOSE(Tensor(scan.output.value()), Tensor(loop.output.value()), 1e-5, 1e-6);
  RECUR_CHECK_CLOSE(Tensor(scan.states[0].value()), Tensor(loop.states[0].value()), 1e-5, 1e-6);
  layer.set_parallel_scan(true);
  const Var batch = tape.input(Generator(3).uniform({5, 2, 4}, -1, 1));
  try {
    layer(batch, IndexTensor{5, 3});
    BOOST_FAIL("the scan took lengths");
  } catch (const ValueError& error) {
    const std::string message = error.what();
    BOOST_TEST(message.find("MinGRU") != std::string::npos, message);
    BOOST_TEST(message.find("lengths") != std::string::npos, message);
  }
}

BOOST_AUTO_TEST_CASE(log_space_scan_passes_gradcheck) {
  Generator gen(4);
  Tensor log_a = gen.uniform({5, 2, 3}, -2.0f, -0.05f);
  const Tensor log_b = gen.uniform({5, 2, 3}, -2.0f, 1.0f);
  const Tensor h0 = gen.uniform({2, 3}, -1.0f, 1.0f);
  test::expect_gradients_match(
      [](std::span<const Var> in) { return nn::log_space_scan(in[0], in[1], in[2]); },
      {log_a, log_b, h0});
  test::expect_gradients_match(
      [](std::span<const Var> in) { return nn::log_positive_candidate(in[0]); },
      {Tensor{-3.0f, -1.2f, -0.4f, 0.3f, 0.9f, 4.0f}});
  // log g(k) is the log of the step's g, and finite far out on both sides.
  Tape tape;
  const Tensor k = {-60.0f, -5.0f, -0.5f, 0.0f, 0.5f, 5.0f, 1e4f};
  const Tensor log_g = nn::log_positive_candidate(tape.input(k)).value();
  const Tensor g = nn::cells::positive_candidate(tape.input(k)).value();
  for (std::size_t i = 1; i < k.size(); ++i)
    BOOST_TEST(std::abs(log_g.data()[i] - std::log(g.data()[i])) < 1e-5);
  BOOST_TEST(std::abs(log_g.data()[0] + 60.0f) < 1e-4);  // log sigmoid(-60) = -60 - 1e-26
}

BOOST_AUTO_TEST_SUITE_END()
