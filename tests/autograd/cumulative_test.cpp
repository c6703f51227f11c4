// cumsum and logcumsumexp: values against double references along every axis, gradients against
// finite differences and against the O(n^2) formula at magnitudes where exp overflows, the
// infinities, and the log-space parallel scan of minGRU/minLSTM against the step-by-step loop.
#include "autograd/ops/cumulative.hpp"

#include <boost/test/unit_test.hpp>
#include <cmath>
#include <limits>
#include <xtensor/xmath.hpp>

#include "autograd/ops/activations.hpp"
#include "autograd/ops/elementwise.hpp"
#include "autograd/tape.hpp"
#include "support/check.hpp"
#include "support/errors.hpp"
#include "support/gradients.hpp"
#include "support/tensors.hpp"

using namespace recur;
using recur::test::expect_error;
using recur::test::expect_gradients_match;
using recur::test::random_tensor;

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

// logcumsumexp of one lane of n values `stride` apart, in long double from the definition
// (shifted by the lane's running maximum so that it cannot overflow).
void reference_lane(const float* x, float* y, std::size_t n, std::size_t stride) {
  long double m = -INFINITY, total = 0;
  for (std::size_t k = 0; k < n; ++k) {
    const long double v = x[k * stride];
    if (v > m) {
      total = total * std::exp(m - v);
      m = v;
    }
    total += std::exp(v - m);
    y[k * stride] = static_cast<float>(m + std::log(total));
  }
}

// The reference along axis 0 of [n, lanes] or along axis 1 of [lanes, n].
Tensor reference_logcumsumexp(const Tensor& x, std::size_t axis) {
  Tensor y = x;
  const std::size_t rows = x.shape(0), cols = x.shape(1);
  if (axis == 0)
    for (std::size_t c = 0; c < cols; ++c) reference_lane(x.data() + c, y.data() + c, rows, cols);
  else
    for (std::size_t r = 0; r < rows; ++r)
      reference_lane(x.data() + r * cols, y.data() + r * cols, cols, 1);
  return y;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(cumulative)

BOOST_AUTO_TEST_CASE(cumsum_matches_xtensor_along_every_axis) {
  const Tensor x = random_tensor({3, 4, 5}, 1, -2.0f, 2.0f);
  Tape tape;
  for (int axis : {0, 1, 2, -1}) {
    const std::size_t ax = static_cast<std::size_t>(axis < 0 ? axis + 3 : axis);
    RECUR_CHECK_CLOSE(cumsum(tape.input(x), axis).value(), Tensor(xt::cumsum(x, ax)), 1e-6, 1e-6);
    expect_gradients_match([axis](std::span<const Var> in) { return cumsum(in[0], axis); }, {x});
  }
  expect_error<ShapeError>([&] { cumsum(tape.input(x), 3); }, {"cumsum", "axis 3"});
}

BOOST_AUTO_TEST_CASE(cumsum_of_a_long_scan_keeps_float_precision) {
  // 100,000 values of 0.1: a float running sum drifts by ~0.5; a double one is exact to rounding.
  Tape tape;
  const Var y = cumsum(tape.input(full({100000}, 0.1f)), 0);
  BOOST_TEST(y.value()(99999) == static_cast<float>(100000 * static_cast<double>(0.1f)),
             boost::test_tools::tolerance(1e-7f));
}

BOOST_AUTO_TEST_CASE(logcumsumexp_matches_a_long_double_reference_at_any_magnitude) {
  for (float scale : {1.0f, 100.0f, 1e4f, 1e30f}) {
    BOOST_TEST_CONTEXT("inputs up to " << scale) {
      const Tensor x = random_tensor({7, 6}, 2, -scale, scale);
      Tape tape;
      for (std::size_t axis : {0u, 1u}) {
        const Tensor y = logcumsumexp(tape.input(x), static_cast<int>(axis)).value();
        BOOST_TEST(xt::all(xt::isfinite(y)));
        RECUR_CHECK_CLOSE(y, reference_logcumsumexp(x, axis), 1e-6, 1e-6);
      }
    }
  }
  // A 2,000-step scan of small values (minGRU's case: log-gates near -0.7): no drift.
  const Tensor steps = random_tensor({2000, 3}, 3, -1.0f, 0.0f);
  Tape tape;
  RECUR_CHECK_CLOSE(logcumsumexp(tape.input(steps), 0).value(), reference_logcumsumexp(steps, 0),
                    1e-6, 1e-6);
  const Tensor rows = xt::transpose(steps);
  RECUR_CHECK_CLOSE(logcumsumexp(tape.input(Tensor(rows)), 1).value(),
                    reference_logcumsumexp(rows, 1), 1e-6, 1e-6);
}

BOOST_AUTO_TEST_CASE(logcumsumexp_gradient_is_exact_where_exp_would_overflow) {
  // dx_j = sum_{k >= j} dy_k exp(x_j - y_k), in long double, against ours at magnitudes ~300.
  for (std::size_t axis : {0u, 1u}) {
    const Tensor x = random_tensor({9, 4}, 4, -300.0f, 300.0f);
    const Tensor seed = random_tensor({9, 4}, 5);
    Tape tape;
    const Var xv = tape.input(x, true);
    const Var y = logcumsumexp(xv, static_cast<int>(axis));
    tape.backward(y, seed);
    Tensor expected = zeros({9, 4});
    const std::size_t lanes = axis == 0 ? 4 : 9, n = axis == 0 ? 9 : 4;
    const auto at = [&](std::size_t lane, std::size_t k) {
      return axis == 0 ? k * 4 + lane : lane * 4 + k;
    };
    for (std::size_t lane = 0; lane < lanes; ++lane)
      for (std::size_t j = 0; j < n; ++j) {
        long double total = 0;
        for (std::size_t k = j; k < n; ++k)
          total +=
              seed.data()[at(lane, k)] * std::exp(static_cast<long double>(x.data()[at(lane, j)]) -
                                                  y.value().data()[at(lane, k)]);
        expected.data()[at(lane, j)] = static_cast<float>(total);
      }
    BOOST_TEST(xt::all(xt::isfinite(xv.grad())));
    RECUR_CHECK_CLOSE(xv.grad(), expected, 1e-5, 1e-6);
  }
  for (int axis : {0, 1, -1})
    expect_gradients_match([axis](std::span<const Var> in) { return logcumsumexp(in[0], axis); },
                           {random_tensor({5, 4}, 6, -3.0f, 3.0f)});
  expect_gradients_match([](std::span<const Var> in) { return logcumsumexp(in[0], 1); },
                         {random_tensor({2, 3, 4}, 7, -3.0f, 3.0f)});
}

BOOST_AUTO_TEST_CASE(logcumsumexp_handles_infinities_and_nan_as_torch) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (bool strided : {false, true}) {
    BOOST_TEST_CONTEXT((strided ? "along axis 0" : "along the last axis")) {
      const Tensor values{-kInf, -kInf, 0.0f, -kInf, kInf, 1.0f, nan, 2.0f};
      Tape tape;
      const Var x = tape.input(strided ? Tensor(xt::reshape_view(values, {8, 1})) : values, true);
      const Var y = logcumsumexp(x, 0);
      const Tensor out = xt::flatten(y.value());
      BOOST_TEST(out(0) == -kInf);
      BOOST_TEST(out(1) == -kInf);
      BOOST_TEST(out(2) == 0.0f);
      BOOST_TEST(out(3) == 0.0f);
      BOOST_TEST(out(4) == kInf);
      BOOST_TEST(out(5) == kInf);
      BOOST_TEST(std::isnan(out(6)));
      BOOST_TEST(std::isnan(out(7)));
    }
  }
  // The gradient of finite entries stays finite next to -inf (an all -inf prefix gets 0).
  Tape tape;
  const Var x = tape.input(Tensor{-kInf, 0.5f, -kInf, 1.0f}, true);
  tape.backward(logcumsumexp(x, 0), Tensor{1.0f, 2.0f, 3.0f, 4.0f});
  BOOST_TEST(xt::all(xt::isfinite(x.grad())));
  BOOST_TEST(x.grad()(0) == 0.0f);
  BOOST_TEST(x.grad()(2) == 0.0f);
  // d/dx_1 = 2 + 3 + 4 e^{0.5}/(e^{0.5} + e) and d/dx_3 = 4 e / (e^{0.5} + e)
  const double share = std::exp(1.0) / (std::exp(0.5) + std::exp(1.0));
  BOOST_TEST(x.grad()(1) == static_cast<float>(5.0 + 4.0 * (1.0 - share)),
             boost::test_tools::tolerance(1e-6f));
  BOOST_TEST(x.grad()(3) == static_cast<float>(4.0 * share), boost::test_tools::tolerance(1e-6f));
  expect_error<ShapeError>([&] { logcumsumexp(x, 1); }, {"logcumsumexp", "axis 1"});
}

BOOST_AUTO_TEST_CASE(log_space_parallel_scan_equals_the_recurrence_loop) {
  // h_t = a_t h_{t-1} + b_t with a = sigmoid(g) in (0, 1), b > 0, h_0 = 0, over [T, B, H], T = 300.
  // Parallel (Feng et al. 2024, minGRU): a*_t = sum_{s <= t} log a_s,
  //   log h_t = a*_t + logcumsumexp(log b - a*)_t
  const std::size_t steps = 300, batch = 2, hidden = 3;
  const Tensor gates = random_tensor({steps, batch, hidden}, 8, -1.0f, 3.0f);
  const Tensor inputs = random_tensor({steps, batch, hidden}, 9, 0.1f, 1.0f);
  Tape tape;
  const Var log_a = log_sigmoid(tape.input(gates));
  const Var log_b = recur::log(tape.input(inputs));
  const Var a_star = cumsum(log_a, 0);
  const Tensor parallel = xt::exp(add(a_star, logcumsumexp(sub(log_b, a_star), 0)).value());
  Tensor loop = zeros({steps, batch, hidden});
  for (std::size_t b = 0; b < batch; ++b)
    for (std::size_t h = 0; h < hidden; ++h) {
      double state = 0;
      for (std::size_t t = 0; t < steps; ++t) {
        const double a = 1.0 / (1.0 + std::exp(-static_cast<double>(gates(t, b, h))));
        state = a * state + inputs(t, b, h);
        loop(t, b, h) = static_cast<float>(state);
      }
    }
  RECUR_CHECK_CLOSE(parallel, loop, 2e-4, 1e-6);
}

BOOST_AUTO_TEST_SUITE_END()
