// max, min, argmax, argmin, logsumexp, var and norm: values against double references along
// every axis, torch's gradient rules at ties (first element along an axis, shared for the full
// reduction and the infinity norm), gradients against finite differences, and the errors.
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <limits>
#include <xtensor/xsort.hpp>

#include "autograd/ops/reductions.hpp"
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

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

// Values at least 0.08 apart in a scrambled order (7 i mod size is a permutation when size is
// prime to 7), so max and min have one winner per lane and finite differences see no tie.
Tensor distinct_values(const Shape& shape, std::uint64_t seed) {
  Tensor values = random_tensor(shape, seed, 0.0f, 0.02f);
  for (std::size_t i = 0; i < values.size(); ++i)
    values.data()[i] += 0.1f * static_cast<float>((i * 7) % values.size()) - 3.0f;
  return values;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(statistics)

BOOST_AUTO_TEST_CASE(max_min_and_arg_positions_along_every_axis_match_xtensor) {
  const Tensor x = distinct_values({3, 4, 5}, 1);
  Tape tape;
  const Var xv = tape.input(x);
  for (int axis = -3; axis < 3; ++axis) {
    BOOST_TEST_CONTEXT("axis " << axis) {
      const std::size_t ax = static_cast<std::size_t>(axis < 0 ? axis + 3 : axis);
      RECUR_CHECK_CLOSE(max(xv, axis).value(), Tensor(xt::amax(x, {ax})), 0, 0);
      RECUR_CHECK_CLOSE(min(xv, axis).value(), Tensor(xt::amin(x, {ax})), 0, 0);
      const IndexTensor expected_argmax = xt::argmax(x, ax);
      BOOST_TEST(argmax(xv, axis) == expected_argmax);
      const IndexTensor expected_argmin = xt::argmin(x, ax);
      BOOST_TEST(argmin(x, axis) == expected_argmin);
      BOOST_TEST(max(xv, axis, true).dim(ax) == 1u);
      BOOST_TEST(argmax(x, axis, true).dimension() == 3u);
      expect_gradients_match([axis](std::span<const Var> in) { return max(in[0], axis); }, {x});
      expect_gradients_match([axis](std::span<const Var> in) { return min(in[0], axis, true); },
                             {x});
    }
  }
  BOOST_TEST(max(xv).value()() == xt::amax(x)());
  BOOST_TEST(min(xv).value()() == xt::amin(x)());
  expect_gradients_match([](std::span<const Var> in) { return max(in[0]); }, {x});
  expect_gradients_match([](std::span<const Var> in) { return min(in[0]); }, {x});
}

BOOST_AUTO_TEST_CASE(max_along_an_axis_sends_the_gradient_to_the_first_tie_as_torch) {
  Tape tape;
  const Var x = tape.input(Tensor{{1.0f, 3.0f, 3.0f}, {2.0f, 2.0f, 0.0f}}, true);
  const Var y = max(x, 1);
  RECUR_CHECK_CLOSE(y.value(), (Tensor{3.0f, 2.0f}), 0, 0);
  BOOST_TEST((argmax(x, 1) == IndexTensor{1, 0}));
  tape.backward(y, Tensor{1.0f, 10.0f});
  RECUR_CHECK_CLOSE(x.grad(), (Tensor{{0.0f, 1.0f, 0.0f}, {10.0f, 0.0f, 0.0f}}), 0, 0);
  // The full reduction shares it among the ties (torch's max() without an axis).
  Tape tape2;
  const Var x2 = tape2.input(Tensor{{1.0f, 3.0f, 3.0f}, {3.0f, 2.0f, 0.0f}}, true);
  tape2.backward(max(x2), Tensor(6.0f));
  RECUR_CHECK_CLOSE(x2.grad(), (Tensor{{0.0f, 2.0f, 2.0f}, {2.0f, 0.0f, 0.0f}}), 0, 0);
  // NaN is the maximum, and its position the argmax.
  const Tensor with_nan{1.0f, std::numeric_limits<float>::quiet_NaN(), 5.0f};
  BOOST_TEST(std::isnan(max(tape.input(with_nan), 0).value()()));
  BOOST_TEST(argmax(with_nan, 0)() == 1);
}

BOOST_AUTO_TEST_CASE(logsumexp_is_stable_and_its_gradient_is_the_softmax) {
  const Tensor x = random_tensor({3, 4, 5}, 2, -3.0f, 3.0f);
  Tape tape;
  for (int axis : {0, 1, 2, -1}) {
    const std::size_t ax = static_cast<std::size_t>(axis < 0 ? axis + 3 : axis);
    const Tensor expected = xt::log(xt::sum(xt::exp(x), {ax}));
    RECUR_CHECK_CLOSE(logsumexp(tape.input(x), axis).value(), expected, 1e-5, 1e-6);
    expect_gradients_match([axis](std::span<const Var> in) { return logsumexp(in[0], axis); }, {x});
  }
  // exp(1000) overflows; the result does not. -inf lanes give -inf, +inf lanes +inf.
  const Var big = tape.input(Tensor{{1000.0f, 1000.0f}, {-kInf, -kInf}, {kInf, 1.0f}});
  const Tensor result = logsumexp(big, 1).value();
  BOOST_TEST(result(0) == 1000.0f + std::log(2.0f), boost::test_tools::tolerance(1e-6f));
  BOOST_TEST(result(1) == -kInf);
  BOOST_TEST(result(2) == kInf);
  BOOST_TEST(logsumexp(tape.input(x), 1, true).dim(1) == 1u);
}

BOOST_AUTO_TEST_CASE(var_is_biased_or_unbiased_as_asked) {
  Tape tape;
  const Var x = tape.input(Tensor{{1.0f, 2.0f, 3.0f, 6.0f}, {0.0f, 0.0f, 4.0f, 4.0f}});
  // torch.var(x, 1) = [4.6667, 5.3333]; unbiased=False: [3.5, 4.0]
  RECUR_CHECK_CLOSE(var(x, 1).value(), (Tensor{14.0f / 3.0f, 16.0f / 3.0f}), 1e-6, 0);
  RECUR_CHECK_CLOSE(var(x, 1, false).value(), (Tensor{3.5f, 4.0f}), 1e-6, 0);
  RECUR_CHECK_CLOSE(var(x, 0, false, true).value(), (Tensor{{0.25f, 1.0f, 0.25f, 1.0f}}), 1e-6, 0);
  // All eight: mean 2.5, squared deviations add up to 32.
  BOOST_TEST(var(x).value()() == 32.0f / 7.0f, boost::test_tools::tolerance(1e-6f));
  BOOST_TEST(var(x, false).value()() == 4.0f, boost::test_tools::tolerance(1e-6f));
  BOOST_TEST(std::isnan(var(tape.input(Tensor{2.0f})).value()()));  // 0 / 0, as torch
  const Tensor values = random_tensor({3, 4, 5}, 3, -2.0f, 2.0f);
  for (int axis : {0, 1, 2})
    for (bool unbiased : {true, false})
      expect_gradients_match([=](std::span<const Var> in) { return var(in[0], axis, unbiased); },
                             {values});
  expect_gradients_match([](std::span<const Var> in) { return var(in[0]); }, {values});
}

BOOST_AUTO_TEST_CASE(norm_for_p_one_two_and_infinity) {
  Tape tape;
  const Var x = tape.input(Tensor{{3.0f, -4.0f}, {-1.0f, 1.0f}}, true);
  RECUR_CHECK_CLOSE(norm(x, 2.0f, 1).value(), (Tensor{5.0f, std::sqrt(2.0f)}), 1e-6, 0);
  RECUR_CHECK_CLOSE(norm(x, 1.0f, 1).value(), (Tensor{7.0f, 2.0f}), 0, 0);
  RECUR_CHECK_CLOSE(norm(x, kInf, 1).value(), (Tensor{4.0f, 1.0f}), 0, 0);
  BOOST_TEST(norm(x).value()() == std::sqrt(27.0f), boost::test_tools::tolerance(1e-6f));
  BOOST_TEST(norm(x, kInf).value()() == 4.0f);
  // The infinity norm shares its gradient among ties, with their signs (torch's rule).
  tape.backward(norm(x, kInf, 1), Tensor{1.0f, 1.0f});
  RECUR_CHECK_CLOSE(x.grad(), (Tensor{{0.0f, -1.0f}, {-0.5f, 0.5f}}), 0, 0);
  // The 2-norm of zeros has gradient 0, not NaN.
  Tape tape2;
  const Var zero = tape2.input(zeros({3}), true);
  tape2.backward(norm(zero), Tensor(1.0f));
  RECUR_CHECK_CLOSE(zero.grad(), zeros({3}), 0, 0);
  const Tensor values = away_from_zero({3, 4}, 4, 0.3f, 2.0f);
  for (float p : {1.0f, 2.0f, kInf}) {
    BOOST_TEST_CONTEXT("p " << p) {
      expect_gradients_match([p](std::span<const Var> in) { return norm(in[0], p, 0); }, {values});
      expect_gradients_match([p](std::span<const Var> in) { return norm(in[0], p, -1, true); },
                             {values});
      expect_gradients_match([p](std::span<const Var> in) { return norm(in[0], p); }, {values});
    }
  }
}

BOOST_AUTO_TEST_CASE(reductions_refuse_bad_axes_empty_lanes_and_unknown_norms) {
  Tape tape;
  const Var x = tape.input(zeros({2, 3}));
  expect_error<ShapeError>([&] { max(x, 2); }, {"max", "axis 2"});
  expect_error<ShapeError>([&] { min(x, -3); }, {"min", "axis -3"});
  expect_error<ShapeError>([&] { argmax(x, 5); }, {"argmax", "axis 5"});
  expect_error<ShapeError>([&] { logsumexp(x, 2); }, {"logsumexp", "axis 2"});
  expect_error<ShapeError>([&] { var(x, 3); }, {"var", "axis 3"});
  expect_error<ShapeError>([&] { norm(x, 2.0f, 3); }, {"norm", "axis 3"});
  const Var empty = tape.input(zeros({2, 0}));
  expect_error<ShapeError>([&] { max(empty, 1); }, {"max", "[2, 0]", "empty"});
  expect_error<ShapeError>([&] { argmin(empty.value(), 1); }, {"argmin", "[2, 0]"});
  expect_error<ShapeError>([&] { max(empty); }, {"max", "[2, 0]"});
  expect_error<ValueError>([&] { norm(x, 3.0f); },
                           {"norm", "p must be 1, 2 or infinity", "[2, 3]"});
  BOOST_TEST(tape.size() == 2u);
}

BOOST_AUTO_TEST_SUITE_END()
