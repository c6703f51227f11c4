// layer_norm: values against a double-precision reference, its fused gradients against finite
// differences with and without the affine parameters, and the shape errors.
#include "autograd/ops/normalization.hpp"

#include <boost/test/unit_test.hpp>
#include <cmath>

#include "autograd/no_grad.hpp"
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

// (x - mean) / sqrt(var + eps) * w + b per group of the last `n` elements, in double.
Tensor reference_layer_norm(const Tensor& x, std::size_t n, const Tensor* w, const Tensor* b,
                            double eps) {
  Tensor y = x;
  for (std::size_t r = 0; r < x.size() / n; ++r) {
    double mean = 0, var = 0;
    for (std::size_t i = 0; i < n; ++i) mean += x.data()[r * n + i];
    mean /= static_cast<double>(n);
    for (std::size_t i = 0; i < n; ++i) var += std::pow(x.data()[r * n + i] - mean, 2);
    var /= static_cast<double>(n);
    for (std::size_t i = 0; i < n; ++i) {
      double v = (x.data()[r * n + i] - mean) / std::sqrt(var + eps);
      if (w) v *= w->data()[i];
      if (b) v += b->data()[i];
      y.data()[r * n + i] = static_cast<float>(v);
    }
  }
  return y;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(normalization)

BOOST_AUTO_TEST_CASE(layer_norm_matches_a_double_reference_over_one_and_two_axes) {
  const Tensor x = random_tensor({3, 4, 5}, 1, -3.0f, 5.0f);
  const Tensor w = random_tensor({5}, 2, -2.0f, 2.0f), b = random_tensor({5}, 3, -2.0f, 2.0f);
  const Tensor w2 = random_tensor({4, 5}, 4, -2.0f, 2.0f),
               b2 = random_tensor({4, 5}, 5, -2.0f, 2.0f);
  Tape tape;
  const Var xv = tape.input(x, true);
  RECUR_CHECK_CLOSE(layer_norm(xv, Shape{5}, tape.input(w), tape.input(b)).value(),
                    reference_layer_norm(x, 5, &w, &b, 1e-5), 1e-5, 1e-5);
  RECUR_CHECK_CLOSE(layer_norm(xv, Shape{4, 5}, tape.input(w2), tape.input(b2), 0.1f).value(),
                    reference_layer_norm(x, 20, &w2, &b2, 0.1), 1e-5, 1e-5);
  RECUR_CHECK_CLOSE(layer_norm(xv, Shape{5}).value(),
                    reference_layer_norm(x, 5, nullptr, nullptr, 1e-5), 1e-5, 1e-5);
  RECUR_CHECK_CLOSE(layer_norm(xv, Shape{5}, tape.input(w)).value(),
                    reference_layer_norm(x, 5, &w, nullptr, 1e-5), 1e-5, 1e-5);
  RECUR_CHECK_CLOSE(layer_norm(xv, Shape{5}, Var(), tape.input(b)).value(),
                    reference_layer_norm(x, 5, nullptr, &b, 1e-5), 1e-5, 1e-5);
  // The last-axis shorthand is the same op.
  RECUR_CHECK_CLOSE(layer_norm(xv, 5, tape.input(w), tape.input(b)).value(),
                    layer_norm(xv, Shape{5}, tape.input(w), tape.input(b)).value(), 0, 0);
  // Without a gradient (nothing saved) the values are the same bits.
  const Tensor with_grad = layer_norm(xv, Shape{5}, tape.input(w), tape.input(b)).value();
  NoGradGuard no_grad;
  RECUR_CHECK_CLOSE(layer_norm(xv, Shape{5}, tape.input(w), tape.input(b)).value(), with_grad, 0,
                    0);
}

BOOST_AUTO_TEST_CASE(layer_norm_of_a_constant_row_is_the_bias) {
  // Variance 0: eps keeps 1/sigma finite and x^ is exactly 0.
  Tape tape;
  const Var y = layer_norm(tape.input(full({2, 3}, 7.0f)), 3, tape.input(Tensor{2.0f, 2.0f, 2.0f}),
                           tape.input(Tensor{0.5f, -1.0f, 3.0f}));
  RECUR_CHECK_CLOSE(y.value(), (Tensor{{0.5f, -1.0f, 3.0f}, {0.5f, -1.0f, 3.0f}}), 0, 0);
}

BOOST_AUTO_TEST_CASE(layer_norm_gradients_match_with_every_affine_combination) {
  const Tensor x = random_tensor({3, 2, 6}, 10, -2.0f, 2.0f),
               w = random_tensor({6}, 11, -2.0f, 2.0f), b = random_tensor({6}, 12, -2.0f, 2.0f);
  expect_gradients_match(
      [](std::span<const Var> in) { return layer_norm(in[0], Shape{6}, in[1], in[2]); }, {x, w, b});
  expect_gradients_match([](std::span<const Var> in) { return layer_norm(in[0], Shape{6}, in[1]); },
                         {x, w});
  expect_gradients_match(
      [](std::span<const Var> in) { return layer_norm(in[0], Shape{6}, Var(), in[1]); }, {x, b});
  expect_gradients_match([](std::span<const Var> in) { return layer_norm(in[0], Shape{6}); }, {x});
  // Over the last two axes, with a large eps so the variance term matters less.
  expect_gradients_match(
      [](std::span<const Var> in) {
        return layer_norm(in[0], Shape{2, 6}, in[1], in[2], 0.5f);
      },
      {x, random_tensor({2, 6}, 13, -2.0f, 2.0f), random_tensor({2, 6}, 14, -2.0f, 2.0f)});
}

BOOST_AUTO_TEST_CASE(layer_norm_input_gradient_sums_to_zero_per_row_without_weight) {
  // y is invariant to adding a constant to a row, so dL/dx sums to 0 over each row.
  const Tensor x = random_tensor({4, 7}, 20, -2.0f, 2.0f);
  Tape tape;
  const Var xv = tape.input(x, true);
  tape.backward(layer_norm(xv, 7), random_tensor({4, 7}, 21, -2.0f, 2.0f));
  for (std::size_t r = 0; r < 4; ++r) {
    double total = 0;
    for (std::size_t i = 0; i < 7; ++i) total += xv.grad()(r, i);
    BOOST_TEST(std::abs(total) < 1e-5, "row " << r << " sums to " << total);
  }
}

BOOST_AUTO_TEST_CASE(layer_norm_refuses_shapes_that_do_not_fit) {
  Tape tape;
  const Var x = tape.input(zeros({2, 3, 5}));
  expect_error<ShapeError>([&] { layer_norm(x, Shape{4}); }, {"layer_norm", "[4]", "[2, 3, 5]"});
  expect_error<ShapeError>([&] { layer_norm(x, Shape{2, 3}); }, {"layer_norm", "[2, 3]"});
  expect_error<ShapeError>([&] { layer_norm(x, Shape{}); }, {"layer_norm", "[]"});
  expect_error<ShapeError>(
      [&] {
        layer_norm(x, Shape{1, 2, 3, 5});
      },
      {"layer_norm", "[1, 2, 3, 5]"});
  expect_error<ShapeError>([&] { layer_norm(x, 5, tape.input(zeros({4}))); },
                           {"layer_norm", "weight", "[4]", "[5]"});
  expect_error<ShapeError>(
      [&] {
        layer_norm(x, 5, Var(), tape.input(zeros({5, 1})));
      },
      {"layer_norm", "bias", "[5, 1]"});
  BOOST_TEST(tape.size() == 3u);  // the inputs only: no failed op left a node
}

BOOST_AUTO_TEST_SUITE_END()
