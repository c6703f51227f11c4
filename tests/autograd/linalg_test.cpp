// matmul and linear: gradients for every transpose combination, linear against its composite,
// and shape errors that name the op and both shapes.
#include <boost/test/unit_test.hpp>

#include "autograd/gradcheck.hpp"
#include "autograd/ops/elementwise.hpp"
#include "autograd/ops/linalg.hpp"
#include "autograd/ops/shape_ops.hpp"
#include "autograd/tape.hpp"
#include "core/error.hpp"
#include "core/random.hpp"
#include "support/check.hpp"
#include "support/errors.hpp"
#include "support/tensors.hpp"

using namespace recur;
using recur::test::error_message;
using recur::test::random_tensor;

BOOST_AUTO_TEST_SUITE(linalg)

BOOST_AUTO_TEST_CASE(matmul_gradients_match_for_all_four_transpose_flags) {
  // op(a) is [3, 4] and op(b) is [4, 5] in every case; all extents differ so a swapped index
  // cannot pass.
  for (bool transpose_a : {false, true}) {
    for (bool transpose_b : {false, true}) {
      const Tensor a = random_tensor(transpose_a ? Shape{4, 3} : Shape{3, 4}, 1);
      const Tensor b = random_tensor(transpose_b ? Shape{5, 4} : Shape{4, 5}, 2);
      const GradcheckResult result = gradcheck(
          [=](std::span<const Var> in) { return matmul(in[0], in[1], transpose_a, transpose_b); },
          {a, b});
      BOOST_TEST(result.ok, "transpose_a=" << transpose_a << " transpose_b=" << transpose_b
                                           << ": " << result.report);
      Tape tape;
      const Var c = matmul(tape.input(a), tape.input(b), transpose_a, transpose_b);
      BOOST_TEST(shape_str(c.shape()) == "[3, 5]");
    }
  }
}

BOOST_AUTO_TEST_CASE(matmul_value_is_the_matrix_product) {
  Tape tape;
  const Var a = tape.input(Tensor{{1.0f, 2.0f}, {3.0f, 4.0f}, {5.0f, 6.0f}});
  const Var b = tape.input(Tensor{{1.0f, 0.0f, 2.0f}, {-1.0f, 1.0f, 0.5f}});
  RECUR_CHECK_CLOSE(matmul(a, b).value(),
                    (Tensor{{-1.0f, 2.0f, 3.0f}, {-1.0f, 4.0f, 8.0f}, {-1.0f, 6.0f, 13.0f}}), 1e-6,
                    0.0);
  // a^T a is [2, 2]: sum over the three rows.
  RECUR_CHECK_CLOSE(matmul(a, a, true, false).value(),
                    (Tensor{{35.0f, 44.0f}, {44.0f, 56.0f}}), 1e-6, 0.0);
}

BOOST_AUTO_TEST_CASE(linear_gradients_match_with_and_without_bias) {
  const Tensor x = random_tensor({4, 3}, 3), w = random_tensor({5, 3}, 4), b = random_tensor({5}, 5);
  const GradcheckResult with_bias = gradcheck(
      [](std::span<const Var> in) { return linear(in[0], in[1], in[2]); }, {x, w, b});
  BOOST_TEST(with_bias.ok, with_bias.report);
  const GradcheckResult without_bias =
      gradcheck([](std::span<const Var> in) { return linear(in[0], in[1]); }, {x, w});
  BOOST_TEST(without_bias.ok, without_bias.report);
}

BOOST_AUTO_TEST_CASE(linear_equals_matmul_with_transposed_weight_plus_bias) {
  const Tensor x = random_tensor({4, 3}, 6), w = random_tensor({5, 3}, 7), b = random_tensor({5}, 8);
  const Tensor seed = random_tensor({4, 5}, 9);  // an uneven incoming gradient
  Tape fused_tape, composite_tape;
  const Var xf = fused_tape.input(x, true), wf = fused_tape.input(w, true),
            bf = fused_tape.input(b, true);
  const Var xc = composite_tape.input(x, true), wc = composite_tape.input(w, true),
            bc = composite_tape.input(b, true);
  const Var fused = linear(xf, wf, bf);
  const Var composite = matmul(xc, wc, false, true) + bc;
  RECUR_CHECK_CLOSE(fused.value(), composite.value(), 1e-6, 1e-6);
  fused_tape.backward(fused, seed);
  composite_tape.backward(composite, seed);
  RECUR_CHECK_CLOSE(xf.grad(), xc.grad(), 1e-6, 1e-6);
  RECUR_CHECK_CLOSE(wf.grad(), wc.grad(), 1e-6, 1e-6);
  RECUR_CHECK_CLOSE(bf.grad(), bc.grad(), 1e-6, 1e-6);
  // Without bias it is the bare product.
  Tape tape;
  RECUR_CHECK_CLOSE(linear(tape.input(x), tape.input(w)).value(),
                    matmul(tape.input(x), tape.input(w), false, true).value(), 1e-6, 1e-6);
}

BOOST_AUTO_TEST_CASE(linear_takes_every_leading_axis_as_rows) {
  // [2, 3, 4] is 6 rows of 4: the same values and gradients as linear on the reshaped [6, 4].
  const Tensor x = random_tensor({2, 3, 4}, 10), w = random_tensor({5, 4}, 11),
               b = random_tensor({5}, 12);
  const Tensor seed = random_tensor({2, 3, 5}, 13);
  Tape direct_tape, reshaped_tape;
  const Var xd = direct_tape.input(x, true), wd = direct_tape.input(w, true),
            bd = direct_tape.input(b, true);
  const Var xr = reshaped_tape.input(x, true), wr = reshaped_tape.input(w, true),
            br = reshaped_tape.input(b, true);
  const Var direct = linear(xd, wd, bd);
  const Var reshaped = reshape(linear(reshape(xr, {6, 4}), wr, br), {2, 3, 5});
  BOOST_TEST((direct.shape() == Shape{2, 3, 5}));
  RECUR_CHECK_CLOSE(direct.value(), reshaped.value(), 1e-6, 1e-6);
  direct_tape.backward(direct, seed);
  reshaped_tape.backward(reshaped, seed);
  RECUR_CHECK_CLOSE(xd.grad(), xr.grad(), 1e-6, 1e-6);
  RECUR_CHECK_CLOSE(wd.grad(), wr.grad(), 1e-6, 1e-6);
  RECUR_CHECK_CLOSE(bd.grad(), br.grad(), 1e-6, 1e-6);
  const GradcheckResult check = gradcheck(
      [](std::span<const Var> in) { return linear(in[0], in[1], in[2]); }, {x, w, b});
  BOOST_TEST(check.ok, check.report);
  // A single vector [4] gives [5], as torch.nn.functional.linear does.
  Tape tape;
  const Var v = linear(tape.input(random_tensor({4}, 14)), tape.input(w), tape.input(b));
  BOOST_TEST((v.shape() == Shape{5}));
  // A 0-d input has no feature axis.
  const std::string scalar =
      error_message<ShapeError>([&] { linear(tape.input(Tensor(1.0f)), tape.input(w)); });
  BOOST_TEST(scalar.find("at least 1-D") != std::string::npos, scalar);
}

BOOST_AUTO_TEST_CASE(matmul_shape_error_names_the_op_and_both_shapes) {
  Tape tape;
  const Var a = tape.input(zeros({32, 64})), b = tape.input(zeros({128, 256}));
  BOOST_TEST(error_message<ShapeError>([&] { matmul(a, b); }) ==
             "matmul: cannot multiply [32, 64] by [128, 256]");
  const std::string transposed = error_message<ShapeError>([&] { matmul(a, a, false, false); });
  BOOST_TEST(transposed.find("[32, 64]") != std::string::npos, transposed);
  const std::string not_matrix =
      error_message<ShapeError>([&] { matmul(tape.input(zeros({3})), a); });
  BOOST_TEST(not_matrix.find("matmul") != std::string::npos, not_matrix);
  BOOST_TEST(not_matrix.find("[3]") != std::string::npos, not_matrix);
  const std::string bad_weight = error_message<ShapeError>([&] {
    linear(a, tape.input(zeros({10, 63})));
  });
  BOOST_TEST(bad_weight.find("linear") != std::string::npos, bad_weight);
  BOOST_TEST(bad_weight.find("[32, 64]") != std::string::npos, bad_weight);
  BOOST_TEST(bad_weight.find("[10, 63]") != std::string::npos, bad_weight);
  const std::string bad_bias = error_message<ShapeError>([&] {
    linear(a, tape.input(zeros({10, 64})), tape.input(zeros({9})));
  });
  BOOST_TEST(bad_bias.find("[9]") != std::string::npos, bad_bias);
  BOOST_TEST(tape.size() == 6u);  // the failed ops left no nodes, only the six inputs
}

BOOST_AUTO_TEST_SUITE_END()
