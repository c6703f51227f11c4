// permute, expand, flip and pad: values against xtensor's own transpose, broadcast and flip,
// gradients against finite differences, and the errors for arguments that do not fit.
#include "autograd/ops/layout_ops.hpp"

#include <boost/test/unit_test.hpp>
#include <xtensor/xmanipulation.hpp>
#include <xtensor/xview.hpp>

#include "autograd/tape.hpp"
#include "support/check.hpp"
#include "support/errors.hpp"
#include "support/gradients.hpp"
#include "support/tensors.hpp"

using namespace recur;
using recur::test::expect_error;
using recur::test::expect_gradients_match;
using recur::test::random_tensor;

BOOST_AUTO_TEST_SUITE(layout_ops)

BOOST_AUTO_TEST_CASE(permute_matches_xtensor_transpose_for_several_orders) {
  const Tensor x = random_tensor({2, 3, 4, 5}, 1, -2.0f, 2.0f);
  const std::vector<std::vector<int>> orders = {{0, 2, 1, 3}, {3, 2, 1, 0}, {1, 0, 2, 3},
                                                {0, 1, 3, 2}, {2, 3, 0, 1}, {0, 1, 2, 3},
                                                {-1, 0, 1, 2}};
  for (const auto& order : orders) {
    std::vector<std::size_t> axes;
    for (int d : order) axes.push_back(static_cast<std::size_t>(d < 0 ? d + 4 : d));
    BOOST_TEST_CONTEXT("dims " << shape_str(axes)) {
      Tape tape;
      const Tensor expected = xt::transpose(x, axes);
      RECUR_CHECK_CLOSE(permute(tape.input(x), order).value(), expected, 0, 0);
      expect_gradients_match([&order](std::span<const Var> in) { return permute(in[0], order); },
                             {random_tensor({2, 3, 2, 3}, 2, -2.0f, 2.0f)});
    }
  }
  Tape tape;
  BOOST_TEST(shape_str(permute(tape.input(x), {0, 2, 1, 3}).shape()) == "[2, 4, 3, 5]");
}

BOOST_AUTO_TEST_CASE(permute_refuses_what_is_not_a_permutation) {
  Tape tape;
  const Var x = tape.input(zeros({2, 3, 4}));
  expect_error<ShapeError>([&] { permute(x, {0, 1}); }, {"permute", "(0, 1)", "[2, 3, 4]"});
  expect_error<ShapeError>([&] { permute(x, {0, 1, 1}); }, {"permute", "(0, 1, 1)"});
  expect_error<ShapeError>([&] { permute(x, {0, 1, 3}); }, {"permute", "(0, 1, 3)"});
}

BOOST_AUTO_TEST_CASE(expand_broadcasts_and_sums_its_gradient_back) {
  const Tensor x = random_tensor({3, 1}, 3, -2.0f, 2.0f);
  Tape tape;
  const Var y = expand(tape.input(x), Shape{2, 3, 4});
  const Tensor expected = xt::broadcast(x, std::vector<std::size_t>{2, 3, 4});
  RECUR_CHECK_CLOSE(y.value(), expected, 0, 0);
  expect_gradients_match(
      [](std::span<const Var> in) {
        return expand(in[0], Shape{2, 3, 4});
      },
      {x});
  expect_gradients_match(
      [](std::span<const Var> in) {
        return expand(in[0], Shape{3, 2, 5});
      },
      {random_tensor({1, 2, 1}, 4, -2.0f, 2.0f)});
  expect_gradients_match(
      [](std::span<const Var> in) {
        return expand(in[0], Shape{2, 3});
      },
      {random_tensor({2, 3}, 5, -2.0f, 2.0f)});
  expect_error<ShapeError>(
      [&] {
        expand(tape.input(zeros({3, 2})), Shape{3, 4});
      },
      {"expand", "[3, 2]", "[3, 4]"});
  expect_error<ShapeError>([&] { expand(tape.input(zeros({3, 2})), Shape{2}); }, {"expand", "[2]"});
}

BOOST_AUTO_TEST_CASE(flip_reverses_the_given_axes) {
  const Tensor x = random_tensor({3, 4, 5}, 6, -2.0f, 2.0f);
  Tape tape;
  RECUR_CHECK_CLOSE(flip(tape.input(x), {0}).value(), Tensor(xt::flip(x, 0)), 0, 0);
  RECUR_CHECK_CLOSE(flip(tape.input(x), {-1}).value(), Tensor(xt::flip(x, 2)), 0, 0);
  RECUR_CHECK_CLOSE(flip(tape.input(x), {2, 0}).value(), Tensor(xt::flip(xt::flip(x, 0), 2)), 0, 0);
  RECUR_CHECK_CLOSE(flip(tape.input(x), std::span<const int>()).value(), x, 0, 0);
  for (const std::vector<int>& axes : {std::vector<int>{0}, {1}, {2}, {0, 2}, {0, 1, 2}})
    expect_gradients_match([&axes](std::span<const Var> in) { return flip(in[0], axes); }, {x});
  expect_error<ShapeError>([&] { flip(tape.input(x), {3}); }, {"flip", "axis 3"});
  expect_error<ShapeError>([&] { flip(tape.input(x), {1, -2}); }, {"flip", "twice", "[3, 4, 5]"});
}

BOOST_AUTO_TEST_CASE(pad_follows_torch_argument_order_and_crops_with_negative_amounts) {
  Tape tape;
  const Var x = tape.input(Tensor{{1.0f, 2.0f}, {3.0f, 4.0f}});
  // F.pad(x, (1, 0)): one column on the left of the last axis.
  RECUR_CHECK_CLOSE(pad(x, {1, 0}, 9.0f).value(), (Tensor{{9.0f, 1.0f, 2.0f}, {9.0f, 3.0f, 4.0f}}),
                    0, 0);
  // F.pad(x, (0, 1, 1, 0)): a column on the right, a row on top.
  RECUR_CHECK_CLOSE(pad(x, {0, 1, 1, 0}).value(),
                    (Tensor{{0.0f, 0.0f, 0.0f}, {1.0f, 2.0f, 0.0f}, {3.0f, 4.0f, 0.0f}}), 0, 0);
  // F.pad(x, (-1, 1)): the first column cropped, a zero column appended.
  RECUR_CHECK_CLOSE(pad(x, {-1, 1}).value(), (Tensor{{2.0f, 0.0f}, {4.0f, 0.0f}}), 0, 0);
  const Tensor values = random_tensor({2, 3, 4}, 7, -2.0f, 2.0f);
  for (const std::vector<std::int64_t>& pads :
       {std::vector<std::int64_t>{1, 2}, {0, 0, 2, 1}, {1, 1, 1, 1, 1, 1}, {-1, 2, 0, -2}, {}})
    expect_gradients_match([&pads](std::span<const Var> in) { return pad(in[0], pads, 0.5f); },
                           {values});
}

BOOST_AUTO_TEST_CASE(pad_refuses_odd_or_too_many_amounts_and_negative_extents) {
  Tape tape;
  const Var x = tape.input(zeros({2, 3}));
  expect_error<ShapeError>([&] { pad(x, {1}); }, {"pad", "(1)", "[2, 3]"});
  expect_error<ShapeError>([&] { pad(x, {1, 1, 1, 1, 1, 1}); }, {"pad", "[2, 3]"});
  expect_error<ShapeError>([&] { pad(x, {-2, -2}); }, {"pad", "(-2, -2)", "extent -1"});
}

BOOST_AUTO_TEST_SUITE_END()
