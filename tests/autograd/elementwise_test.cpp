// Gradient checks of the elementwise ops against central finite differences.
#include <boost/test/unit_test.hpp>

#include "autograd/gradcheck.hpp"
#include "autograd/ops/elementwise.hpp"
#include "autograd/tape.hpp"
#include "core/error.hpp"
#include "core/random.hpp"
#include "support/gradients.hpp"
#include "support/tensors.hpp"

using namespace recur;
using recur::test::expect_gradients_match;
using recur::test::random_tensor;

BOOST_AUTO_TEST_SUITE(elementwise)

BOOST_AUTO_TEST_CASE(binary_ops_match_finite_differences_with_broadcasting) {
  // [3, 4] op [4], [2, 1, 3] op [4, 1]: both operands broadcast somewhere.
  const std::vector<std::pair<Shape, Shape>> shapes = {
      {{3, 4}, {3, 4}}, {{3, 4}, {4}}, {{2, 1, 3}, {4, 1}}, {{1}, {2, 3}}};
  for (const auto& [shape_a, shape_b] : shapes) {
    const Tensor a = random_tensor(shape_a, 1, -1.5f, 1.5f);
    const Tensor b = random_tensor(shape_b, 2, 0.5f, 2.0f);  // away from 0 for div
    expect_gradients_match([](std::span<const Var> in) { return add(in[0], in[1]); }, {a, b});
    expect_gradients_match([](std::span<const Var> in) { return sub(in[0], in[1]); }, {a, b});
    expect_gradients_match([](std::span<const Var> in) { return mul(in[0], in[1]); }, {a, b});
    expect_gradients_match([](std::span<const Var> in) { return div(in[0], in[1]); }, {a, b});
  }
}

BOOST_AUTO_TEST_CASE(unary_ops_match_finite_differences) {
  const Tensor x = random_tensor({3, 5}, 3, -1.5f, 1.5f);
  expect_gradients_match([](std::span<const Var> in) { return neg(in[0]); }, {x});
  expect_gradients_match([](std::span<const Var> in) { return sigmoid(in[0]); }, {x});
  expect_gradients_match([](std::span<const Var> in) { return tanh(in[0]); }, {x});
  expect_gradients_match([](std::span<const Var> in) { return exp(in[0]); }, {x});
  expect_gradients_match([](std::span<const Var> in) { return in[0] * 3.0f + 1.0f; }, {x});
  expect_gradients_match([](std::span<const Var> in) { return log(in[0]); },
                         {random_tensor({3, 5}, 4, 0.5f, 3.0f)});
  // relu away from its kink at 0.
  Tensor away = random_tensor({3, 5}, 5, -1.5f, 1.5f);
  for (auto& v : away) v += v >= 0 ? 0.1f : -0.1f;
  expect_gradients_match([](std::span<const Var> in) { return relu(in[0]); }, {away});
}

BOOST_AUTO_TEST_CASE(values_are_right) {
  Tape tape;
  const Var a = tape.input(Tensor{{1.0f, 2.0f}, {3.0f, 4.0f}});
  const Var b = tape.input(Tensor{10.0f, 20.0f});
  BOOST_TEST((add(a, b).value() == Tensor{{11.0f, 22.0f}, {13.0f, 24.0f}}));
  BOOST_TEST((div(a, b).value() == Tensor{{0.1f, 0.1f}, {0.3f, 0.2f}}));
  BOOST_TEST(sigmoid(tape.input(Tensor{0.0f})).value()(0) == 0.5f);
}

BOOST_AUTO_TEST_CASE(mismatched_shapes_name_the_op_and_both_shapes) {
  Tape tape;
  const Var a = tape.input(zeros({3, 4}));
  const Var b = tape.input(zeros({5}));
  try {
    add(a, b);
    BOOST_FAIL("add accepted [3, 4] + [5]");
  } catch (const ShapeError& error) {
    const std::string message = error.what();
    BOOST_TEST(message.find("add") != std::string::npos, message);
    BOOST_TEST(message.find("[3, 4]") != std::string::npos, message);
    BOOST_TEST(message.find("[5]") != std::string::npos, message);
  }
}

BOOST_AUTO_TEST_SUITE_END()
