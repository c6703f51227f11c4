// abs, sqrt, pow, clamp, maximum and minimum: values against hand-computed numbers, gradients
// against finite differences away from kinks, torch's rules at the kinks (ties split equally,
// clamp's bounds included), broadcasting, and the errors.
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <limits>

#include "autograd/ops/elementwise.hpp"
#include "autograd/tape.hpp"
#include "support/check.hpp"
#include "support/errors.hpp"
#include "support/gradients.hpp"
#include "support/tensors.hpp"

using namespace recur;
using recur::test::away_from_zero;
using recur::test::expect_error;
using recur::test::expect_gradients_match;
using recur::test::random_tensor;

BOOST_AUTO_TEST_SUITE(elementwise_math)

BOOST_AUTO_TEST_CASE(abs_and_sqrt_values_and_gradients) {
  Tape tape;
  const Var x = tape.input(Tensor{-2.0f, 0.0f, 3.0f}, true);
  const Var y = abs(x);  // the operator-friendly name, found by argument-dependent lookup
  RECUR_CHECK_CLOSE(y.value(), (Tensor{2.0f, 0.0f, 3.0f}), 0, 0);
  tape.backward(y, Tensor{1.0f, 1.0f, 1.0f});
  RECUR_CHECK_CLOSE(x.grad(), (Tensor{-1.0f, 0.0f, 1.0f}), 0, 0);  // sign, 0 at 0 as torch
  RECUR_CHECK_CLOSE(recur::sqrt(tape.input(Tensor{4.0f, 2.25f})).value(), (Tensor{2.0f, 1.5f}), 0,
                    0);
  expect_gradients_match([](std::span<const Var> in) { return recur::abs(in[0]); },
                         {away_from_zero({3, 4}, 1)});
  expect_gradients_match([](std::span<const Var> in) { return recur::sqrt(in[0]); },
                         {random_tensor({3, 4}, 2, 0.5f, 3.0f)});
}

BOOST_AUTO_TEST_CASE(pow_with_constant_exponents) {
  Tape tape;
  const Var x = tape.input(Tensor{0.5f, 2.0f, 3.0f}, true);
  RECUR_CHECK_CLOSE(recur::pow(x, 2.0f).value(), (Tensor{0.25f, 4.0f, 9.0f}), 1e-6, 0);
  RECUR_CHECK_CLOSE(recur::pow(x, -1.0f).value(), (Tensor{2.0f, 0.5f, 1.0f / 3.0f}), 1e-6, 0);
  const Var zero_power = recur::pow(x, 0.0f);
  RECUR_CHECK_CLOSE(zero_power.value(), (Tensor{1.0f, 1.0f, 1.0f}), 0, 0);
  tape.backward(zero_power, Tensor{1.0f, 2.0f, 3.0f});
  RECUR_CHECK_CLOSE(x.grad(), (Tensor{0.0f, 0.0f, 0.0f}), 0, 0);
  const Tensor positive = random_tensor({2, 5}, 3, 0.5f, 2.0f);
  for (float exponent : {2.0f, 3.0f, 0.5f, -1.5f, 1.0f})
    expect_gradients_match(
        [exponent](std::span<const Var> in) { return recur::pow(in[0], exponent); }, {positive});
  // An integer exponent works for negative bases too.
  expect_gradients_match([](std::span<const Var> in) { return recur::pow(in[0], 3.0f); },
                         {away_from_zero({2, 5}, 4)});
}

BOOST_AUTO_TEST_CASE(clamp_passes_the_gradient_inside_its_bounds_only) {
  Tape tape;
  const Var x = tape.input(Tensor{-2.0f, -1.0f, 0.5f, 1.0f, 3.0f}, true);
  const Var y = clamp(x, -1.0f, 1.0f);
  RECUR_CHECK_CLOSE(y.value(), (Tensor{-1.0f, -1.0f, 0.5f, 1.0f, 1.0f}), 0, 0);
  tape.backward(y, Tensor{1.0f, 1.0f, 1.0f, 1.0f, 1.0f});
  RECUR_CHECK_CLOSE(x.grad(), (Tensor{0.0f, 1.0f, 1.0f, 1.0f, 0.0f}), 0, 0);  // bounds included
  RECUR_CHECK_CLOSE(clamp(x, 0.0f, std::nullopt).value(), (Tensor{0.0f, 0.0f, 0.5f, 1.0f, 3.0f}), 0,
                    0);
  RECUR_CHECK_CLOSE(clamp(x, std::nullopt, 0.0f).value(), (Tensor{-2.0f, -1.0f, 0.0f, 0.0f, 0.0f}),
                    0, 0);
  // min > max: torch's min(max(x, min), max) is max everywhere.
  RECUR_CHECK_CLOSE(clamp(x, 2.0f, 1.0f).value(), full({5}, 1.0f), 0, 0);
  const Var with_nan =
      clamp(tape.input(Tensor{std::numeric_limits<float>::quiet_NaN()}), 0.0f, 1.0f);
  BOOST_TEST(std::isnan(with_nan.value()(0)));
  Tensor inputs = away_from_zero({4, 5}, 5, 0.0f, 2.0f);
  for (float& v : inputs)  // away from the bounds -1 and 1
    if (std::abs(std::abs(v) - 1.0f) < 0.05f) v *= 1.2f;
  expect_gradients_match([](std::span<const Var> in) { return clamp(in[0], -1.0f, 1.0f); },
                         {inputs});
  expect_error<ValueError>([&] { clamp(x, std::nullopt, std::nullopt); }, {"clamp", "[5]"});
}

BOOST_AUTO_TEST_CASE(maximum_and_minimum_split_ties_and_broadcast) {
  Tape tape;
  const Var a = tape.input(Tensor{1.0f, 5.0f, 3.0f}, true);
  const Var b = tape.input(Tensor{2.0f, 4.0f, 3.0f}, true);
  const Var high = maximum(a, b);
  RECUR_CHECK_CLOSE(high.value(), (Tensor{2.0f, 5.0f, 3.0f}), 0, 0);
  tape.backward(high, Tensor{1.0f, 10.0f, 100.0f});
  RECUR_CHECK_CLOSE(a.grad(), (Tensor{0.0f, 10.0f, 50.0f}), 0, 0);  // the tie: half each
  RECUR_CHECK_CLOSE(b.grad(), (Tensor{1.0f, 0.0f, 50.0f}), 0, 0);
  Tape tape2;
  const Var a2 = tape2.input(Tensor{1.0f, 5.0f, 3.0f}, true);
  const Var b2 = tape2.input(Tensor{2.0f, 4.0f, 3.0f}, true);
  const Var low = minimum(a2, b2);
  RECUR_CHECK_CLOSE(low.value(), (Tensor{1.0f, 4.0f, 3.0f}), 0, 0);
  tape2.backward(low, Tensor{1.0f, 10.0f, 100.0f});
  RECUR_CHECK_CLOSE(a2.grad(), (Tensor{1.0f, 0.0f, 50.0f}), 0, 0);
  RECUR_CHECK_CLOSE(b2.grad(), (Tensor{0.0f, 10.0f, 50.0f}), 0, 0);
  // NaN in either propagates.
  const Var nan = tape.input(Tensor{std::numeric_limits<float>::quiet_NaN()});
  BOOST_TEST(std::isnan(maximum(nan, tape.input(Tensor{1.0f})).value()(0)));
  BOOST_TEST(std::isnan(minimum(tape.input(Tensor{1.0f}), nan).value()(0)));
  // Broadcasting [3, 4] against [4], inputs apart by more than the step (no ties).
  Tensor left = random_tensor({3, 4}, 6, -2.0f, 2.0f), right = random_tensor({4}, 7, -2.0f, 2.0f);
  for (std::size_t r = 0; r < 3; ++r)
    for (std::size_t c = 0; c < 4; ++c)
      if (std::abs(left(r, c) - right(c)) < 0.05f) left(r, c) += 0.2f;
  expect_gradients_match([](std::span<const Var> in) { return maximum(in[0], in[1]); },
                         {left, right});
  expect_gradients_match([](std::span<const Var> in) { return minimum(in[1], in[0]); },
                         {left, right});
  expect_error<ShapeError>([&] { maximum(a, tape.input(zeros({2}))); }, {"maximum", "[3]", "[2]"});
  expect_error<ShapeError>([&] { minimum(a, tape.input(zeros({2}))); }, {"minimum", "[3]", "[2]"});
}

BOOST_AUTO_TEST_SUITE_END()
