// gelu, silu, leaky_relu, softplus and log_sigmoid: values against double-precision formulas,
// gradients against finite differences on both sides of every switch point, and stability at
// large magnitudes.
#include "autograd/ops/activations.hpp"

#include <boost/test/unit_test.hpp>
#include <cmath>
#include <functional>

#include "autograd/no_grad.hpp"
#include "autograd/tape.hpp"
#include "support/check.hpp"
#include "support/gradients.hpp"
#include "support/tensors.hpp"

using namespace recur;
using recur::test::away_from_zero;
using recur::test::expect_gradients_match;
using recur::test::random_tensor;

namespace {

Tensor map_elements(const Tensor& x, const std::function<double(double)>& f) {
  Tensor y = x;
  for (float& v : y) v = static_cast<float>(f(v));
  return y;
}

double gelu_exact(double x) { return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0))); }
double gelu_tanh(double x) {
  return 0.5 * x * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x)));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(activations)

BOOST_AUTO_TEST_CASE(gelu_matches_both_of_torchs_forms) {
  const Tensor x = random_tensor({4, 9}, 1, -5.0f, 5.0f);
  Tape tape;
  const Var xv = tape.input(x, true);
  RECUR_CHECK_CLOSE(gelu(xv).value(), map_elements(x, gelu_exact), 1e-5, 1e-6);
  RECUR_CHECK_CLOSE(gelu(xv, GeluApproximation::tanh).value(), map_elements(x, gelu_tanh), 1e-5,
                    1e-6);
  // torch.nn.functional.gelu(torch.tensor(1.0)) and with approximate='tanh'
  const Var one = tape.input(Tensor{1.0f});
  BOOST_TEST(gelu(one).value()(0) == 0.8413447f, boost::test_tools::tolerance(1e-6f));
  BOOST_TEST(gelu(one, GeluApproximation::tanh).value()(0) == 0.8411920f,
             boost::test_tools::tolerance(1e-6f));
  expect_gradients_match([](std::span<const Var> in) { return gelu(in[0]); }, {x});
  expect_gradients_match(
      [](std::span<const Var> in) { return gelu(in[0], GeluApproximation::tanh); }, {x});
  const Tensor with_grad = gelu(xv, GeluApproximation::tanh).value();
  NoGradGuard no_grad;
  RECUR_CHECK_CLOSE(gelu(xv, GeluApproximation::tanh).value(), with_grad, 0, 0);
}

BOOST_AUTO_TEST_CASE(silu_is_x_times_its_sigmoid) {
  const Tensor x = random_tensor({3, 7}, 2, -6.0f, 6.0f);
  Tape tape;
  const auto reference = [](double v) { return v / (1.0 + std::exp(-v)); };
  RECUR_CHECK_CLOSE(silu(tape.input(x, true)).value(), map_elements(x, reference), 1e-5, 1e-6);
  expect_gradients_match([](std::span<const Var> in) { return silu(in[0]); }, {x});
  NoGradGuard no_grad;
  RECUR_CHECK_CLOSE(silu(tape.input(x)).value(), map_elements(x, reference), 1e-5, 1e-6);
}

BOOST_AUTO_TEST_CASE(leaky_relu_scales_the_negative_side) {
  Tape tape;
  const Var x = tape.input(Tensor{-2.0f, 0.0f, 3.0f}, true);
  RECUR_CHECK_CLOSE(leaky_relu(x).value(), (Tensor{-0.02f, 0.0f, 3.0f}), 1e-6, 0);
  const Var y = leaky_relu(x, 0.2f);
  RECUR_CHECK_CLOSE(y.value(), (Tensor{-0.4f, 0.0f, 3.0f}), 1e-6, 0);
  tape.backward(y, Tensor{1.0f, 1.0f, 1.0f});
  RECUR_CHECK_CLOSE(x.grad(), (Tensor{0.2f, 0.2f, 1.0f}), 0, 0);  // torch: slope at 0
  expect_gradients_match([](std::span<const Var> in) { return leaky_relu(in[0], 0.3f); },
                         {away_from_zero({4, 6}, 3)});
}

BOOST_AUTO_TEST_CASE(softplus_is_linear_above_its_threshold) {
  const Tensor x = random_tensor({5, 8}, 4, -8.0f, 8.0f);
  Tape tape;
  const auto curve = [](double v) { return std::log1p(std::exp(2.0 * v)) / 2.0; };
  RECUR_CHECK_CLOSE(softplus(tape.input(x), 2.0f, 100.0f).value(), map_elements(x, curve), 1e-5,
                    1e-6);
  // beta = 1, threshold 3: x itself where x > 3.
  const Var y = softplus(tape.input(Tensor{4.0f, 2.0f}), 1.0f, 3.0f);
  BOOST_TEST(y.value()(0) == 4.0f);
  BOOST_TEST(y.value()(1) == static_cast<float>(std::log1p(std::exp(2.0))),
             boost::test_tools::tolerance(1e-6f));
  BOOST_TEST(std::isfinite(softplus(tape.input(Tensor{1000.0f})).value()(0)));
  expect_gradients_match([](std::span<const Var> in) { return softplus(in[0]); }, {x});
  // Inputs kept away from the threshold at beta x = 4 (x = 2), on both sides of it.
  Tensor around = random_tensor({3, 6}, 5, -3.0f, 1.5f);
  const Tensor above = random_tensor({3, 6}, 55, 2.5f, 5.0f);
  for (std::size_t i = 0; i < around.size(); i += 2) around.data()[i] = above.data()[i];
  expect_gradients_match([](std::span<const Var> in) { return softplus(in[0], 2.0f, 4.0f); },
                         {around});
}

BOOST_AUTO_TEST_CASE(log_sigmoid_is_stable_at_large_magnitudes) {
  const Tensor x = random_tensor({4, 5}, 6, -10.0f, 10.0f);
  Tape tape;
  const auto reference = [](double v) { return -std::log1p(std::exp(-v)); };
  RECUR_CHECK_CLOSE(log_sigmoid(tape.input(x)).value(), map_elements(x, reference), 1e-5, 1e-6);
  // log(sigmoid(-200)) is -200 (log of sigmoid would be log(0) = -inf in float32).
  const Var far = tape.input(Tensor{-200.0f, 200.0f}, true);
  const Var y = log_sigmoid(far);
  BOOST_TEST(y.value()(0) == -200.0f);
  BOOST_TEST(y.value()(1) == 0.0f);
  tape.backward(y, Tensor{1.0f, 1.0f});
  RECUR_CHECK_CLOSE(far.grad(), (Tensor{1.0f, 0.0f}), 0, 0);
  expect_gradients_match([](std::span<const Var> in) { return log_sigmoid(in[0]); }, {x});
}

BOOST_AUTO_TEST_SUITE_END()
