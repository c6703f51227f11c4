// Sums and means: values against hand-computed numbers, gradients against finite differences
// for every axis (positive and negative), with and without keepdim.
#include "autograd/ops/reductions.hpp"

#include <boost/test/unit_test.hpp>
#include <cmath>

#include "autograd/gradcheck.hpp"
#include "autograd/tape.hpp"
#include "core/error.hpp"
#include "core/random.hpp"
#include "support/check.hpp"
#include "support/gradients.hpp"
#include "support/tensors.hpp"

using namespace recur;
using recur::test::expect_gradients_match;
using recur::test::random_tensor;
using recur::test::shaped;

BOOST_AUTO_TEST_SUITE(reductions)

BOOST_AUTO_TEST_CASE(sum_and_mean_of_all_elements_are_0d_with_the_right_value) {
  Tape tape;
  const Var x = tape.input(Tensor{{1.0f, 2.0f, 3.0f}, {4.0f, 5.0f, 6.0f}});
  const Var total = sum(x), average = mean(x);
  BOOST_TEST(total.rank() == 0u);
  BOOST_TEST(average.rank() == 0u);
  BOOST_TEST(total.value()() == 21.0f);
  BOOST_TEST(average.value()() == 3.5f);
}

BOOST_AUTO_TEST_CASE(sum_and_mean_along_an_axis_have_the_right_values_and_shapes) {
  Tape tape;
  const Var x = tape.input(Tensor{{1.0f, 2.0f, 3.0f}, {4.0f, 5.0f, 6.0f}});
  RECUR_CHECK_CLOSE(sum(x, 0).value(), (Tensor{5.0f, 7.0f, 9.0f}), 0, 0);
  RECUR_CHECK_CLOSE(sum(x, 1).value(), (Tensor{6.0f, 15.0f}), 0, 0);
  RECUR_CHECK_CLOSE(sum(x, -1).value(), (Tensor{6.0f, 15.0f}), 0, 0);
  RECUR_CHECK_CLOSE(sum(x, -2, true).value(), shaped({1, 3}, {5, 7, 9}), 0, 0);
  RECUR_CHECK_CLOSE(sum(x, 1, true).value(), shaped({2, 1}, {6, 15}), 0, 0);
  RECUR_CHECK_CLOSE(mean(x, 0).value(), (Tensor{2.5f, 3.5f, 4.5f}), 1e-6, 0);
  RECUR_CHECK_CLOSE(mean(x, -1, true).value(), shaped({2, 1}, {2, 5}), 1e-6, 0);
}

BOOST_AUTO_TEST_CASE(middle_axis_of_a_3d_tensor_sums_strided_lanes) {
  // x[i, j, k] = 100 i + 10 j + k over [2, 3, 4]: sum over j is 300 i + 30 + 3k.
  Tensor x = zeros({2, 3, 4});
  for (std::size_t i = 0; i < 2; ++i)
    for (std::size_t j = 0; j < 3; ++j)
      for (std::size_t k = 0; k < 4; ++k) x(i, j, k) = 100.0f * i + 10.0f * j + k;
  Tape tape;
  const Var summed = sum(tape.input(x), 1);
  BOOST_TEST(shape_str(summed.shape()) == "[2, 4]");
  for (std::size_t i = 0; i < 2; ++i)
    for (std::size_t k = 0; k < 4; ++k)
      BOOST_TEST(summed.value()(i, k) == 300.0f * i + 30.0f + 3.0f * k);
}

BOOST_AUTO_TEST_CASE(gradients_match_finite_differences_on_every_axis) {
  const Tensor x = random_tensor({2, 3, 4}, 11, -1.5f, 1.5f);
  expect_gradients_match([](std::span<const Var> in) { return sum(in[0]); }, {x});
  expect_gradients_match([](std::span<const Var> in) { return mean(in[0]); }, {x});
  for (int axis = -3; axis < 3; ++axis)
    for (bool keepdim : {false, true}) {
      BOOST_TEST_CONTEXT("axis " << axis << " keepdim " << keepdim) {
        expect_gradients_match(
            [axis, keepdim](std::span<const Var> in) { return sum(in[0], axis, keepdim); }, {x});
        expect_gradients_match(
            [axis, keepdim](std::span<const Var> in) { return mean(in[0], axis, keepdim); }, {x});
      }
    }
}

BOOST_AUTO_TEST_CASE(long_rows_and_columns_match_a_double_precision_reference) {
  // 37 columns: the 8-wide row kernel and its tail; axis 0 adds 37-long rows with xtensor.
  const Tensor values = random_tensor({5, 37}, 12, -1.5f, 1.5f);
  Tensor by_row = zeros({5}), by_column = zeros({37});
  double everything = 0;
  for (std::size_t r = 0; r < 5; ++r)
    for (std::size_t c = 0; c < 37; ++c) {
      by_row(r) += values(r, c);
      by_column(c) += values(r, c);
      everything += values(r, c);
    }
  Tape tape;
  const Var x = tape.input(values);
  RECUR_CHECK_CLOSE(sum(x, 1).value(), by_row, 1e-5, 1e-5);
  RECUR_CHECK_CLOSE(sum(x, 0).value(), by_column, 1e-5, 1e-5);
  RECUR_CHECK_CLOSE(mean(x, 0).value(), Tensor(by_column / 5.0f), 1e-5, 1e-5);
  BOOST_TEST(sum(x).value()() == everything, boost::test_tools::tolerance(1e-5));
  BOOST_TEST(mean(x).value()() == everything / 185, boost::test_tools::tolerance(1e-5));
  expect_gradients_match([](std::span<const Var> in) { return sum(in[0], 1); }, {values});
  expect_gradients_match([](std::span<const Var> in) { return mean(in[0], 0, true); }, {values});
}

BOOST_AUTO_TEST_CASE(large_sum_keeps_float_precision) {
  // A million copies of 0.1: a naive float loop drifts by about 1%, blocked double does not.
  Tape tape;
  const Var total = sum(tape.input(full({1000, 1000}, 0.1f)));
  BOOST_TEST(std::abs(total.value()() - 100000.0f) < 1.0f);
}

BOOST_AUTO_TEST_CASE(out_of_range_axis_names_the_op_and_the_axis) {
  Tape tape;
  const Var x = tape.input(zeros({2, 3}));
  try {
    mean(x, 2);
    BOOST_FAIL("mean accepted axis 2 of a 2-d value");
  } catch (const ShapeError& error) {
    const std::string message = error.what();
    BOOST_TEST(message.find("mean") != std::string::npos, message);
    BOOST_TEST(message.find("axis 2") != std::string::npos, message);
  }
}

BOOST_AUTO_TEST_SUITE_END()
