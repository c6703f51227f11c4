// Shape and indexing ops: values against xtensor's own views, gradients against finite
// differences along several (and negative) axes, and the errors for shapes that do not fit.
#include <boost/test/unit_test.hpp>

#include <xtensor/xbuilder.hpp>
#include <xtensor/xmanipulation.hpp>
#include <xtensor/xview.hpp>

#include "autograd/gradcheck.hpp"
#include "autograd/ops/elementwise.hpp"
#include "autograd/ops/shape_ops.hpp"
#include "autograd/tape.hpp"
#include "core/error.hpp"
#include "core/random.hpp"
#include "support/check.hpp"
#include "support/errors.hpp"
#include "support/gradients.hpp"
#include "support/tensors.hpp"

using namespace recur;
using recur::test::expect_error;
using recur::test::expect_gradients_match;
using recur::test::random_tensor;

BOOST_AUTO_TEST_SUITE(shape_ops)

BOOST_AUTO_TEST_CASE(reshape_keeps_element_order_and_its_gradient_matches) {
  Tape tape;
  const Tensor x = random_tensor({2, 3, 4}, 1, -1.5f, 1.5f);
  const Var y = reshape(tape.input(x), Shape{4, 6});
  BOOST_TEST(shape_str(y.shape()) == "[4, 6]");
  RECUR_CHECK_CLOSE(y.value(), Tensor(xt::reshape_view(x, {4, 6})), 0.0, 0.0);
  expect_gradients_match([](std::span<const Var> in) { return reshape(in[0], Shape{6, 4}); }, {x});
  expect_gradients_match([](std::span<const Var> in) { return reshape(in[0], Shape{24}); }, {x});
}

BOOST_AUTO_TEST_CASE(transpose_matches_xtensor_for_every_axis_pair) {
  const Tensor x = random_tensor({2, 3, 4, 5}, 2, -1.5f, 1.5f);
  const std::vector<std::pair<int, int>> pairs = {{0, 1}, {1, 0}, {0, 3}, {1, 2}, {-1, -2},
                                                  {2, -1}, {-4, 2}, {1, 1}};
  for (const auto& [axis0, axis1] : pairs) {
    Tape tape;
    const Var y = transpose(tape.input(x), axis0, axis1);
    std::vector<std::size_t> permutation = {0, 1, 2, 3};
    std::swap(permutation[(axis0 + 4) % 4], permutation[(axis1 + 4) % 4]);
    const Tensor expected = xt::transpose(x, permutation);
    RECUR_CHECK_CLOSE(y.value(), expected, 0.0, 0.0);
    expect_gradients_match(
        [axis0, axis1](std::span<const Var> in) { return transpose(in[0], axis0, axis1); }, {x});
  }
  // Plain matrices, one smaller and one larger than the copy's 16x16 tiles, value and gradient
  // (dm = dy^T for an uneven dy).
  for (const Shape& shape : {Shape{3, 7}, Shape{37, 53}}) {
    Tape tape;
    const Tensor m = random_tensor(shape, 3, -1.5f, 1.5f);
    const Var mv = tape.input(m, true);
    const Var y = transpose(mv, 0, 1);
    RECUR_CHECK_CLOSE(y.value(), Tensor(xt::transpose(m)), 0.0, 0.0);
    const Tensor seed = random_tensor({shape[1], shape[0]}, 4, -1.5f, 1.5f);
    tape.backward(y, seed);
    RECUR_CHECK_CLOSE(mv.grad(), Tensor(xt::transpose(seed)), 0.0, 0.0);
  }
}

BOOST_AUTO_TEST_CASE(concat_matches_xtensor_along_each_axis) {
  const Tensor a = random_tensor({2, 3, 4}, 4, -1.5f, 1.5f);
  for (int axis : {0, 1, 2, -1, -3}) {
    Shape shape_b = {2, 3, 4};
    shape_b[static_cast<std::size_t>((axis + 3) % 3)] = 5;
    const Tensor b = random_tensor(shape_b, 5, -1.5f, 1.5f);
    Tape tape;
    const Var y = concat({tape.input(a), tape.input(b), tape.input(a)}, axis);
    const Tensor expected = xt::concatenate(xt::xtuple(a, b, a), static_cast<std::size_t>((axis + 3) % 3));
    RECUR_CHECK_CLOSE(y.value(), expected, 0.0, 0.0);
    // The same input twice receives both contributions.
    expect_gradients_match(
        [axis](std::span<const Var> in) { return concat({in[0], in[1], in[0]}, axis); }, {a, b});
  }
}

BOOST_AUTO_TEST_CASE(stack_matches_xtensor_along_each_new_axis) {
  const Tensor a = random_tensor({3, 4}, 6, -1.5f, 1.5f), b = random_tensor({3, 4}, 7, -1.5f, 1.5f);
  for (int axis : {0, 1, 2, -1, -3}) {
    Tape tape;
    const Var y = stack({tape.input(a), tape.input(b)}, axis);
    const Tensor expected = xt::stack(xt::xtuple(a, b), static_cast<std::size_t>((axis + 3) % 3));
    RECUR_CHECK_CLOSE(y.value(), expected, 0.0, 0.0);
    expect_gradients_match(
        [axis](std::span<const Var> in) { return stack({in[0], in[1], in[0]}, axis); }, {a, b});
  }
}

BOOST_AUTO_TEST_CASE(stack_of_many_steps_from_a_vector) {
  // The RNN output pattern: T values of [B, H] become [T, B, H].
  Tape tape;
  std::vector<Var> steps;
  std::vector<Tensor> values;
  for (std::uint64_t t = 0; t < 5; ++t) {
    values.push_back(random_tensor({2, 3}, 10 + t, -1.5f, 1.5f));
    steps.push_back(tape.input(values.back()));
  }
  const Var y = stack(std::span<const Var>(steps), 0);
  BOOST_TEST(shape_str(y.shape()) == "[5, 2, 3]");
  for (std::size_t t = 0; t < 5; ++t)
    RECUR_CHECK_CLOSE(Tensor(xt::view(y.value(), t)), values[t], 0.0, 0.0);
}

BOOST_AUTO_TEST_CASE(slice_and_select_match_xtensor_views) {
  const Tensor x = random_tensor({4, 5, 6}, 8, -1.5f, 1.5f);
  Tape tape;
  const Var v = tape.input(x);
  RECUR_CHECK_CLOSE(slice(v, 1, 1, 4).value(), Tensor(xt::view(x, xt::all(), xt::range(1, 4))),
                    0.0, 0.0);
  RECUR_CHECK_CLOSE(slice(v, -1, 2, 6).value(),
                    Tensor(xt::view(x, xt::all(), xt::all(), xt::range(2, 6))), 0.0, 0.0);
  RECUR_CHECK_CLOSE(select(v, 0, 3).value(), Tensor(xt::view(x, 3)), 0.0, 0.0);
  RECUR_CHECK_CLOSE(select(v, -2, 4).value(), Tensor(xt::view(x, xt::all(), 4)), 0.0, 0.0);
  RECUR_CHECK_CLOSE(select(v, 2, 0).value(), Tensor(xt::view(x, xt::all(), xt::all(), 0)), 0.0,
                    0.0);
  BOOST_TEST(slice(v, 0, 2, 2).value().size() == 0u);  // an empty range is allowed
  // Selecting from a vector gives a scalar (shape []), which still carries its gradient.
  const Tensor vector = random_tensor({5}, 12, -1.5f, 1.5f);
  const Var scalar = select(tape.input(vector), -1, 3);
  BOOST_TEST(scalar.rank() == 0u);
  BOOST_TEST(scalar.value()() == vector(3));
  expect_gradients_match([](std::span<const Var> in) { return select(in[0], 0, 3); }, {vector});

  for (int axis : {0, 1, 2, -1}) {
    expect_gradients_match([axis](std::span<const Var> in) { return slice(in[0], axis, 1, 3); },
                           {x});
    expect_gradients_match([axis](std::span<const Var> in) { return select(in[0], axis, 2); },
                           {x});
  }
}

BOOST_AUTO_TEST_CASE(split_and_chunk_pieces_match_and_their_gradients_add_up) {
  const Tensor x = random_tensor({3, 8, 4}, 9, -1.5f, 1.5f);
  Tape tape;
  const Var v = tape.input(x);
  const std::vector<std::size_t> sizes = {2, 5, 1};
  const std::vector<Var> pieces = split(v, sizes, 1);
  BOOST_TEST(pieces.size() == 3u);
  RECUR_CHECK_CLOSE(pieces[1].value(), Tensor(xt::view(x, xt::all(), xt::range(2, 7))), 0.0, 0.0);
  const std::vector<Var> gates = chunk(v, 4, -2);  // the LSTM's i, f, g, o
  BOOST_TEST(gates.size() == 4u);
  for (std::size_t g = 0; g < 4; ++g)
    RECUR_CHECK_CLOSE(gates[g].value(),
                      Tensor(xt::view(x, xt::all(), xt::range(2 * g, 2 * g + 2))), 0.0, 0.0);

  for (int axis : {1, -2}) {
    // All pieces used, reordered and scaled differently, so each one's gradient must land in
    // its own place of dx.
    expect_gradients_match(
        [axis](std::span<const Var> in) {
          const std::vector<std::size_t> sizes = {2, 5, 1};
          const std::vector<Var> p = split(in[0], sizes, axis);
          return concat({p[2] * 3.0f, p[0], p[1] * -2.0f}, axis);
        },
        {x});
    expect_gradients_match(
        [axis](std::span<const Var> in) {
          const std::vector<Var> p = chunk(in[0], 4, axis);
          return tanh(p[0]) * p[1] + p[3] * 0.5f;  // p[2] unused: its part of dx stays zero
        },
        {x});
  }
  for (int axis : {0, 2, -1}) {
    expect_gradients_match(
        [axis](std::span<const Var> in) {
          const std::vector<Var> p = chunk(in[0], in[0].dim(axis < 0 ? 2 : axis), axis);
          return p.back() * 2.0f + p.front();
        },
        {x});
  }
}

BOOST_AUTO_TEST_CASE(detach_copies_the_value_and_stops_the_gradient) {
  Tape tape;
  const Tensor value = random_tensor({2, 3}, 11, -1.5f, 1.5f);
  const Var x = tape.input(value, true);
  const Var d = detach(x);
  RECUR_CHECK_CLOSE(d.value(), value, 0.0, 0.0);
  BOOST_TEST(!d.requires_grad());
  // y = x * detach(x): dy/dx = detach(x) only (the detached factor is a constant).
  tape.backward(x * d, full({2, 3}, 1.0f));
  RECUR_CHECK_CLOSE(x.grad(), value, 1e-6, 0.0);
}

BOOST_AUTO_TEST_CASE(shape_errors_name_the_op_the_shapes_and_the_axis) {
  Tape tape;
  const Var x = tape.input(zeros({4, 6}));
  const Var y = tape.input(zeros({4, 5}));
  const Var z = tape.input(zeros({3, 5}));
  expect_error<ShapeError>([&] { reshape(x, Shape{5, 5}); }, {"reshape", "[4, 6]", "[5, 5]"});
  expect_error<ShapeError>([&] { transpose(x, 0, 2); }, {"transpose", "axis 2"});
  expect_error<ShapeError>([&] { concat({x, z}, 1); }, {"concat", "[4, 6]", "[3, 5]", "axis 1"});
  expect_error<ShapeError>([&] { concat({x, y}, -3); }, {"concat", "axis -3"});
  expect_error<ShapeError>([&] { stack({x, y}, 0); }, {"stack", "[4, 6]", "[4, 5]"});
  expect_error<ShapeError>([&] { stack({x, x}, 3); }, {"stack", "axis 3"});
  const std::vector<std::size_t> sizes = {2, 3};
  expect_error<ShapeError>([&] { split(x, sizes, 1); }, {"split", "[2, 3]", "[4, 6]", "axis 1"});
  expect_error<ShapeError>([&] { chunk(y, 4, 1); }, {"chunk", "[4, 5]", "axis 1", "4"});
  expect_error<ShapeError>([&] { chunk(y, 0, 1); }, {"chunk", "[4, 5]"});
  expect_error<ShapeError>([&] { slice(x, 0, 2, 5); }, {"slice", "[4, 6]", "axis 0", "[2, 5)"});
  expect_error<ShapeError>([&] { slice(x, 1, 3, 2); }, {"slice", "[4, 6]"});
  expect_error<ShapeError>([&] { select(x, -1, 6); }, {"select", "index 6", "axis 1", "[4, 6]"});
  // A failed op leaves no node behind.
  BOOST_TEST(tape.size() == 3u);
  BOOST_CHECK_THROW(concat(std::span<const Var>(), 0), ValueError);
}

BOOST_AUTO_TEST_SUITE_END()
