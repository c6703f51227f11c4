// bmm and matmul beyond 2-D: values against a loop of 2-D products, gradients against finite
// differences for every transpose flag, broadcast batch axes, vectors, and the shape errors.
#include <boost/test/unit_test.hpp>
#include <xtensor/xview.hpp>

#include "autograd/ops/linalg.hpp"
#include "autograd/ops/shape_ops.hpp"
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

// Matrix `index` of a [..., R, C] tensor viewed as [count, R, C].
Tensor matrix_at(const Tensor& t, std::size_t index) {
  const std::size_t rows = t.shape(t.dimension() - 2), cols = t.shape(t.dimension() - 1);
  Tensor m = zeros({rows, cols});
  std::copy_n(t.data() + index * rows * cols, rows * cols, m.data());
  return m;
}

// The 2-D product op(a) op(b) through the existing 2-D matmul.
Tensor product_2d(const Tensor& a, bool ta, const Tensor& b, bool tb) {
  Tape tape;
  return matmul(tape.input(a), tape.input(b), ta, tb).value();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(batched_linalg)

BOOST_AUTO_TEST_CASE(bmm_is_a_matmul_per_batch_element_for_every_transpose) {
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      BOOST_TEST_CONTEXT("transpose_a=" << ta << " transpose_b=" << tb) {
        // op(a) [3, 4], op(b) [4, 5] in each of 2 batch elements; all extents distinct.
        const Tensor a = random_tensor(ta ? Shape{2, 4, 3} : Shape{2, 3, 4}, 1, -2.0f, 2.0f);
        const Tensor b = random_tensor(tb ? Shape{2, 5, 4} : Shape{2, 4, 5}, 2, -2.0f, 2.0f);
        Tape tape;
        const Var c = bmm(tape.input(a), tape.input(b), ta, tb);
        BOOST_TEST(shape_str(c.shape()) == "[2, 3, 5]");
        for (std::size_t n = 0; n < 2; ++n)
          RECUR_CHECK_CLOSE(matrix_at(c.value(), n),
                            product_2d(matrix_at(a, n), ta, matrix_at(b, n), tb), 1e-6, 1e-6);
        expect_gradients_match([=](std::span<const Var> in) { return bmm(in[0], in[1], ta, tb); },
                               {a, b});
        // matmul of two 3-D values is the same op.
        RECUR_CHECK_CLOSE(matmul(tape.input(a), tape.input(b), ta, tb).value(), c.value(), 0, 0);
      }
    }
}

BOOST_AUTO_TEST_CASE(matmul_broadcasts_batch_axes_as_torch_does) {
  // [2, 1, 3, 4] x [3, 4, 5] -> [2, 3, 3, 5]: b's batch of 3 repeats over a's 2, a's over b's 3.
  const Tensor a = random_tensor({2, 1, 3, 4}, 3, -2.0f, 2.0f),
               b = random_tensor({3, 4, 5}, 4, -2.0f, 2.0f);
  Tape tape;
  const Var c = matmul(tape.input(a), tape.input(b));
  BOOST_TEST(shape_str(c.shape()) == "[2, 3, 3, 5]");
  for (std::size_t i = 0; i < 2; ++i)
    for (std::size_t j = 0; j < 3; ++j)
      RECUR_CHECK_CLOSE(matrix_at(c.value(), i * 3 + j),
                        product_2d(matrix_at(a, i), false, matrix_at(b, j), false), 1e-6, 1e-6);
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      const Tensor at = random_tensor(ta ? Shape{2, 1, 4, 3} : Shape{2, 1, 3, 4}, 5, -2.0f, 2.0f);
      const Tensor bt = random_tensor(tb ? Shape{3, 5, 4} : Shape{3, 4, 5}, 6, -2.0f, 2.0f);
      expect_gradients_match([=](std::span<const Var> in) { return matmul(in[0], in[1], ta, tb); },
                             {at, bt});
    }
}

BOOST_AUTO_TEST_CASE(matmul_with_one_shared_right_matrix_is_one_product_over_all_rows) {
  // [2, 3, 4] x [4, 5]: the same as reshaping to [6, 4] first, values and gradients.
  for (bool tb : {false, true}) {
    const Tensor a = random_tensor({2, 3, 4}, 7, -2.0f, 2.0f),
                 b = random_tensor(tb ? Shape{5, 4} : Shape{4, 5}, 8, -2.0f, 2.0f);
    const Tensor seed = random_tensor({2, 3, 5}, 9, -2.0f, 2.0f);
    Tape batched_tape, flat_tape;
    const Var ab = batched_tape.input(a, true), bb = batched_tape.input(b, true);
    const Var af = flat_tape.input(a, true), bf = flat_tape.input(b, true);
    const Var batched = matmul(ab, bb, false, tb);
    const Var flat = reshape(matmul(reshape(af, {6, 4}), bf, false, tb), {2, 3, 5});
    RECUR_CHECK_CLOSE(batched.value(), flat.value(), 1e-6, 1e-6);
    batched_tape.backward(batched, seed);
    flat_tape.backward(flat, seed);
    RECUR_CHECK_CLOSE(ab.grad(), af.grad(), 1e-6, 1e-6);
    RECUR_CHECK_CLOSE(bb.grad(), bf.grad(), 1e-5, 1e-6);
    expect_gradients_match([=](std::span<const Var> in) { return matmul(in[0], in[1], false, tb); },
                           {a, b});
  }
  // A transposed left operand takes the per-batch path; a 2-D left operand broadcasts too.
  expect_gradients_match(
      [](std::span<const Var> in) { return matmul(in[0], in[1], true, false); },
      {random_tensor({2, 4, 3}, 10, -2.0f, 2.0f), random_tensor({4, 5}, 11, -2.0f, 2.0f)});
  expect_gradients_match(
      [](std::span<const Var> in) { return matmul(in[0], in[1]); },
      {random_tensor({3, 4}, 12, -2.0f, 2.0f), random_tensor({2, 4, 5}, 13, -2.0f, 2.0f)});
}

BOOST_AUTO_TEST_CASE(matmul_treats_one_dimensional_operands_as_vectors) {
  const Tensor u = random_tensor({4}, 14, -2.0f, 2.0f), v = random_tensor({4}, 15, -2.0f, 2.0f);
  const Tensor m = random_tensor({2, 4, 5}, 16, -2.0f, 2.0f),
               left = random_tensor({2, 3, 4}, 17, -2.0f, 2.0f);
  Tape tape;
  const Var dot = matmul(tape.input(u), tape.input(v));
  BOOST_TEST(dot.rank() == 0u);
  BOOST_TEST(dot.value()() == u(0) * v(0) + u(1) * v(1) + u(2) * v(2) + u(3) * v(3),
             boost::test_tools::tolerance(1e-6f));
  const Var row = matmul(tape.input(u), tape.input(m));  // [4] x [2, 4, 5] -> [2, 5]
  BOOST_TEST(shape_str(row.shape()) == "[2, 5]");
  const Var column = matmul(tape.input(left), tape.input(u));  // [2, 3, 4] x [4] -> [2, 3]
  BOOST_TEST(shape_str(column.shape()) == "[2, 3]");
  BOOST_TEST(column.value()(1, 2) == left(1, 2, 0) * u(0) + left(1, 2, 1) * u(1) +
                                         left(1, 2, 2) * u(2) + left(1, 2, 3) * u(3),
             boost::test_tools::tolerance(1e-5f));
  expect_gradients_match([](std::span<const Var> in) { return matmul(in[0], in[1]); }, {u, v});
  expect_gradients_match([](std::span<const Var> in) { return matmul(in[0], in[1]); }, {u, m});
  expect_gradients_match([](std::span<const Var> in) { return matmul(in[0], in[1]); }, {left, u});
  expect_gradients_match([](std::span<const Var> in) { return matmul(in[0], in[1]); },
                         {random_tensor({3, 4}, 18, -2.0f, 2.0f), u});
}

BOOST_AUTO_TEST_CASE(batched_products_refuse_shapes_that_do_not_fit) {
  Tape tape;
  const Var a = tape.input(zeros({2, 3, 4})), b = tape.input(zeros({3, 4, 5}));
  expect_error<ShapeError>([&] { bmm(a, b); }, {"bmm", "[2, 3, 4]", "[3, 4, 5]"});
  expect_error<ShapeError>([&] { bmm(a, tape.input(zeros({4, 5}))); }, {"bmm", "[4, 5]"});
  expect_error<ShapeError>(
      [&] {
        bmm(a, tape.input(zeros({2, 5, 4})));
      },
      {"bmm", "[2, 3, 4]", "[2, 5, 4]"});
  expect_error<ShapeError>([&] { matmul(a, b); },
                           {"matmul", "[2, 3, 4]", "[3, 4, 5]", "broadcast"});
  expect_error<ShapeError>(
      [&] {
        matmul(a, tape.input(zeros({2, 5, 4})));
      },
      {"matmul: cannot multiply [2, 3, 4] by [2, 5, 4]"});
  expect_error<ShapeError>(
      [&] {
        matmul(a, tape.input(zeros({2, 4, 5})), false, true);
      },
      {"matmul", "[2, 3, 4]", "[2, 4, 5]^T"});
  expect_error<ShapeError>([&] { matmul(tape.input(Tensor(1.0f)), b); }, {"matmul", "[]", "0-d"});
  expect_error<ShapeError>([&] { matmul(tape.input(zeros({5})), a); }, {"matmul", "[5]"});
  BOOST_TEST(tape.size() == 2u + 6u);  // the inputs only: no failed op left a node
}

BOOST_AUTO_TEST_SUITE_END()
