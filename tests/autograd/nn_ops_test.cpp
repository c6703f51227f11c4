// softmax, log_softmax, dropout, mul_mask, embedding and where: values against hand-computed
// numbers, gradients against finite differences, and the error messages.
#include "autograd/ops/nn_ops.hpp"

#include <boost/test/unit_test.hpp>
#include <cmath>

#include "autograd/gradcheck.hpp"
#include "autograd/no_grad.hpp"
#include "autograd/ops/elementwise.hpp"
#include "autograd/ops/reductions.hpp"
#include "autograd/parameter.hpp"
#include "autograd/tape.hpp"
#include "core/error.hpp"
#include "core/random.hpp"
#include "support/check.hpp"
#include "support/errors.hpp"
#include "support/gradients.hpp"
#include "support/tensors.hpp"

using namespace recur;
using recur::test::error_message;
using recur::test::expect_gradients_match;
using recur::test::random_tensor;
using recur::test::shaped;

BOOST_AUTO_TEST_SUITE(nn_ops)

BOOST_AUTO_TEST_CASE(softmax_and_log_softmax_of_a_known_vector) {
  Tape tape;
  const Var x = tape.input(Tensor{1.0f, 2.0f, 3.0f});
  // torch.softmax / log_softmax of [1, 2, 3]
  RECUR_CHECK_CLOSE(softmax(x).value(), (Tensor{0.09003057f, 0.24472847f, 0.66524096f}), 1e-6,
                    1e-7);
  RECUR_CHECK_CLOSE(log_softmax(x).value(), (Tensor{-2.40760596f, -1.40760596f, -0.40760596f}),
                    1e-6, 1e-7);
}

BOOST_AUTO_TEST_CASE(softmax_rows_sum_to_one_along_any_axis) {
  const Tensor values = random_tensor({3, 4, 5}, 41, -5.0f, 5.0f);
  Tape tape;
  const Var x = tape.input(values);
  for (int axis = -3; axis < 3; ++axis) {
    BOOST_TEST_CONTEXT("axis " << axis) {
      const Var y = softmax(x, axis);
      const Var totals = sum(y, axis);
      RECUR_CHECK_CLOSE(totals.value(),
                        full(Shape(totals.shape().begin(), totals.shape().end()), 1.0f), 1e-5, 0);
      // log_softmax is log of softmax along the same axis.
      RECUR_CHECK_CLOSE(log_softmax(x, axis).value(), Tensor(xt::log(y.value())), 1e-5, 1e-6);
    }
  }
}

BOOST_AUTO_TEST_CASE(softmax_of_long_rows_matches_a_double_precision_reference) {
  // 37 and 19 columns: the 8-wide main loops and their tails both run.
  for (std::size_t columns : {37u, 19u, 8u, 1u}) {
    const Tensor values = random_tensor({3, columns}, 60 + columns, -4.0f, 4.0f);
    Tensor expected_soft = zeros({3, columns}), expected_log = zeros({3, columns});
    for (std::size_t r = 0; r < 3; ++r) {
      double total = 0;
      for (std::size_t c = 0; c < columns; ++c)
        total += std::exp(static_cast<double>(values(r, c)));
      for (std::size_t c = 0; c < columns; ++c) {
        expected_soft(r, c) =
            static_cast<float>(std::exp(static_cast<double>(values(r, c))) / total);
        expected_log(r, c) = static_cast<float>(values(r, c) - std::log(total));
      }
    }
    Tape tape;
    const Var x = tape.input(values);
    BOOST_TEST_CONTEXT(columns << " columns") {
      RECUR_CHECK_CLOSE(softmax(x).value(), expected_soft, 1e-5, 1e-7);
      RECUR_CHECK_CLOSE(log_softmax(x).value(), expected_log, 1e-5, 1e-6);
      // Along axis 0 of the transpose: the strided-lane kernel must agree.
      const Tensor transposed = xt::transpose(values);
      const Tensor by_column = softmax(tape.input(transposed), 0).value();
      RECUR_CHECK_CLOSE(Tensor(xt::transpose(by_column)), expected_soft, 1e-5, 1e-7);
    }
  }
  expect_gradients_match([](std::span<const Var> in) { return softmax(in[0]); },
                         {random_tensor({2, 19}, 61, -2.0f, 2.0f)});
  expect_gradients_match([](std::span<const Var> in) { return log_softmax(in[0]); },
                         {random_tensor({2, 19}, 62, -2.0f, 2.0f)});
  expect_gradients_match([](std::span<const Var> in) { return softmax(in[0], 0); },
                         {random_tensor({5, 11}, 63, -2.0f, 2.0f)});
}

BOOST_AUTO_TEST_CASE(softmax_values_are_the_same_with_and_without_a_gradient) {
  const Tensor values = random_tensor({4, 13}, 64, -2.0f, 2.0f);
  Tape tape;
  const Tensor with_grad = softmax(tape.input(values, true)).value();
  NoGradGuard no_grad;
  RECUR_CHECK_CLOSE(softmax(tape.input(values, true)).value(), with_grad, 0, 0);
}

BOOST_AUTO_TEST_CASE(softmax_is_stable_for_huge_inputs) {
  Tape tape;
  const Var x = tape.input(Tensor{{1000.0f, 1000.0f}, {-1000.0f, 0.0f}});
  RECUR_CHECK_CLOSE(softmax(x).value(), (Tensor{{0.5f, 0.5f}, {0.0f, 1.0f}}), 0, 1e-7);
  RECUR_CHECK_CLOSE(log_softmax(x).value(),
                    (Tensor{{-std::log(2.0f), -std::log(2.0f)}, {-1000.0f, 0.0f}}), 1e-6, 0);
}

BOOST_AUTO_TEST_CASE(softmax_gradients_match_finite_differences_on_every_axis) {
  const Tensor x = random_tensor({2, 3, 4}, 42, -2.0f, 2.0f);
  for (int axis = -3; axis < 3; ++axis) {
    BOOST_TEST_CONTEXT("axis " << axis) {
      expect_gradients_match([axis](std::span<const Var> in) { return softmax(in[0], axis); }, {x});
      expect_gradients_match([axis](std::span<const Var> in) { return log_softmax(in[0], axis); },
                             {x});
    }
  }
}

BOOST_AUTO_TEST_CASE(dropout_zeroes_a_fraction_near_p_and_scales_the_rest) {
  Generator generator(7);
  Tape tape;
  const Var x = tape.input(full({200, 500}, 2.0f));
  const float p = 0.3f;
  const Tensor& y = dropout(x, p, true, generator).value();
  std::size_t zeros_seen = 0;
  for (float v : y) {
    if (v == 0.0f)
      ++zeros_seen;
    else
      BOOST_TEST_REQUIRE(v == 2.0f / (1.0f - p), boost::test_tools::tolerance(1e-6f));
  }
  const double fraction = static_cast<double>(zeros_seen) / y.size();
  // 100,000 draws: the standard deviation of the fraction is 0.0014.
  BOOST_TEST(std::abs(fraction - p) < 0.01, "zero fraction " << fraction);
}

BOOST_AUTO_TEST_CASE(dropout_is_the_identity_when_not_training_or_p_is_zero) {
  Generator generator(7);
  Tape tape;
  const Tensor values = random_tensor({4, 5}, 43, -2.0f, 2.0f);
  const Var x = tape.input(values);
  RECUR_CHECK_CLOSE(dropout(x, 0.5f, false, generator).value(), values, 0, 0);
  RECUR_CHECK_CLOSE(dropout(x, 0.0f, true, generator).value(), values, 0, 0);
}

BOOST_AUTO_TEST_CASE(dropout_backward_uses_the_forward_mask) {
  Generator generator(9);
  Tape tape;
  const Var x = tape.input(random_tensor({30, 40}, 44, -2.0f, 2.0f), true);
  const Var y = dropout(x, 0.5f, true, generator);
  const Tensor projection = random_tensor({30, 40}, 45, -2.0f, 2.0f);
  tape.backward(y, projection);
  // dy/dx is 2 where the element was kept and 0 where it was dropped, element by element.
  std::size_t dropped = 0;
  for (std::size_t i = 0; i < projection.size(); ++i) {
    const bool kept = y.value().data()[i] != 0.0f;
    dropped += kept ? 0 : 1;
    const float expected = kept ? 2.0f * projection.data()[i] : 0.0f;
    BOOST_TEST_REQUIRE(x.grad().data()[i] == expected, boost::test_tools::tolerance(1e-6f));
  }
  BOOST_TEST(dropped > 0u);
}

BOOST_AUTO_TEST_CASE(dropout_is_reproducible_with_a_seeded_generator) {
  Tape tape;
  const Var x = tape.input(full({10, 10}, 1.0f));
  Generator first(123), second(123);
  RECUR_CHECK_CLOSE(dropout(x, 0.4f, true, first).value(), dropout(x, 0.4f, true, second).value(),
                    0, 0);
}

BOOST_AUTO_TEST_CASE(dropout_rejects_p_outside_zero_to_one) {
  Tape tape;
  const Var x = tape.input(zeros({2}));
  for (float p : {1.0f, -0.1f, 1.5f, std::nanf("")}) {
    const std::string message = error_message([&] { dropout(x, p, true); });
    BOOST_TEST(message.find("dropout") != std::string::npos, message);
    BOOST_CHECK_THROW(dropout(x, p, false), ValueError);
  }
}

BOOST_AUTO_TEST_CASE(mul_mask_multiplies_and_broadcasts) {
  Tape tape;
  const Var x = tape.input(Tensor{{1.0f, 2.0f}, {3.0f, 4.0f}});
  RECUR_CHECK_CLOSE(mul_mask(x, shaped({2, 1}, {0, 2})).value(),
                    (Tensor{{0.0f, 0.0f}, {6.0f, 8.0f}}), 0, 0);
  const Tensor mask = shaped({1, 3}, {1, 0, 2});
  expect_gradients_match([mask](std::span<const Var> in) { return mul_mask(in[0], mask); },
                         {random_tensor({4, 3}, 46, -2.0f, 2.0f)});
  // x [3] against mask [2, 3]: x's gradient sums over the broadcast axis.
  const Tensor tall{{1.0f, 0.0f, 2.0f}, {0.5f, 1.0f, 0.0f}};
  expect_gradients_match([tall](std::span<const Var> in) { return mul_mask(in[0], tall); },
                         {random_tensor({3}, 47, -2.0f, 2.0f)});
}

BOOST_AUTO_TEST_CASE(embedding_picks_rows_for_indices_of_any_shape) {
  Tape tape;
  const Var weight = tape.input(Tensor{{0.0f, 0.5f}, {1.0f, 1.5f}, {2.0f, 2.5f}});
  const Var picked = embedding(weight, IndexTensor{{2, 0}, {1, 2}});
  BOOST_TEST(shape_str(picked.shape()) == "[2, 2, 2]");
  RECUR_CHECK_CLOSE(picked.value(),
                    (Tensor{{{2.0f, 2.5f}, {0.0f, 0.5f}}, {{1.0f, 1.5f}, {2.0f, 2.5f}}}), 0, 0);
  const Var one = embedding(weight, IndexTensor(1));  // a 0-d index gives one row
  RECUR_CHECK_CLOSE(one.value(), (Tensor{1.0f, 1.5f}), 0, 0);
}

BOOST_AUTO_TEST_CASE(embedding_repeated_indices_accumulate_and_padding_gets_no_gradient) {
  Tape tape;
  const Var weight = tape.input(zeros({4, 3}), true);
  const Var picked = embedding(weight, IndexTensor{1, 3, 1, 0, 1}, /*padding_index=*/0);
  Tensor seed = zeros({5, 3});
  for (std::size_t j = 0; j < 5; ++j)
    for (std::size_t d = 0; d < 3; ++d) seed(j, d) = static_cast<float>(10 * j + d);
  tape.backward(picked, seed);
  // Row 1 was picked at positions 0, 2 and 4; row 3 at 1; row 0 is padding; row 2 never.
  RECUR_CHECK_CLOSE(
      weight.grad(),
      (Tensor{
          {0.0f, 0.0f, 0.0f}, {60.0f, 63.0f, 66.0f}, {0.0f, 0.0f, 0.0f}, {10.0f, 11.0f, 12.0f}}),
      0, 0);
}

BOOST_AUTO_TEST_CASE(embedding_backward_is_right_on_a_reused_tape_with_fewer_indices) {
  // The second step's saved index buffer is shorter than the first's: backward must use it all
  // and nothing beyond it.
  Parameter weight(zeros({6, 2}));
  Tape tape;
  for (const IndexTensor& indices : {IndexTensor{0, 1, 2, 3, 4, 5, 5}, IndexTensor{4, 4, 1}}) {
    tape.clear();
    weight.zero_grad();
    tape.backward(sum(embedding(tape.parameter(weight), indices)));
    Tensor expected = zeros({6, 2});
    for (std::int64_t index : indices) xt::view(expected, index) += 1.0f;
    RECUR_CHECK_CLOSE(weight.grad, expected, 0, 0);
  }
}

BOOST_AUTO_TEST_CASE(embedding_gradients_match_finite_differences) {
  const IndexTensor indices{{0, 2, 2}, {4, 1, 0}};
  expect_gradients_match([&](std::span<const Var> in) { return embedding(in[0], indices); },
                         {random_tensor({5, 3}, 48, -2.0f, 2.0f)});
}

BOOST_AUTO_TEST_CASE(embedding_bad_index_names_the_index_and_the_table_size) {
  Tape tape;
  const Var weight = tape.input(zeros({10, 4}));
  const std::string message = error_message([&] { embedding(weight, IndexTensor{3, 12, 1}); });
  BOOST_TEST(message.find("embedding") != std::string::npos, message);
  BOOST_TEST(message.find("12") != std::string::npos, message);
  BOOST_TEST(message.find("10 rows") != std::string::npos, message);
  BOOST_CHECK_THROW(embedding(weight, IndexTensor{-1}), ValueError);
  BOOST_CHECK_THROW(embedding(weight, IndexTensor{1}, 10), ValueError);
  BOOST_CHECK_THROW(embedding(tape.input(zeros({10})), IndexTensor{1}), ShapeError);
}

// Called as recur::where: with a Tensor argument, argument-dependent lookup also finds xt::where.
BOOST_AUTO_TEST_CASE(where_picks_from_a_or_b_and_broadcasts_the_mask) {
  Tape tape;
  const Var a = tape.input(Tensor{{1.0f, 2.0f}, {3.0f, 4.0f}});
  const Var b = tape.input(Tensor{{-1.0f, -2.0f}, {-3.0f, -4.0f}});
  RECUR_CHECK_CLOSE(recur::where(Tensor{{1.0f, 0.0f}, {0.0f, 1.0f}}, a, b).value(),
                    (Tensor{{1.0f, -2.0f}, {-3.0f, 4.0f}}), 0, 0);
  RECUR_CHECK_CLOSE(recur::where(shaped({2, 1}, {0, 1}), a, b).value(),
                    (Tensor{{-1.0f, -2.0f}, {3.0f, 4.0f}}), 0, 0);
}

BOOST_AUTO_TEST_CASE(where_gradients_match_finite_differences_with_broadcasting) {
  const Tensor a = random_tensor({3, 4}, 49, -2.0f, 2.0f),
               b = random_tensor({3, 4}, 50, -2.0f, 2.0f);
  const Tensor same{{1, 0, 1, 0}, {0, 0, 1, 1}, {1, 1, 1, 0}};
  const Tensor per_row =
      shaped({3, 1}, {1, 0, 1});        // [3, 1]: a per-sequence mask, as for padded steps
  const Tensor per_column{0, 1, 1, 0};  // [4]
  for (const Tensor& mask : {same, per_row, per_column})
    expect_gradients_match(
        [mask](std::span<const Var> in) { return recur::where(mask, in[0], in[1]); }, {a, b});
  // A mask bigger than a and b: their gradients sum over the broadcast axis.
  const Tensor big{{{1, 0, 1, 0}, {0, 0, 1, 1}, {1, 1, 1, 0}},
                   {{0, 1, 0, 1}, {1, 1, 0, 0}, {0, 0, 0, 1}}};
  expect_gradients_match([big](std::span<const Var> in) { return recur::where(big, in[0], in[1]); },
                         {a, b});
}

// Masks constant over trailing blocks of at least 8 elements ([2, 3, 1], [2, 1, 1], [1] against
// [2, 3, 8]) take a block-by-block path; the others ([3, 1], [1, 3, 8], [8], the full shape, and
// [1, 1, 1, 1], which adds an axis) take xtensor's. Every path must equal the elementwise
// definition and pass gradcheck.
const std::vector<Shape> mask_shapes_for_2x3x8 = {{2, 3, 1}, {2, 1, 1}, {1},       {3, 1},
                                                  {1, 3, 8}, {8},       {2, 3, 8}, {1, 1, 1, 1}};

BOOST_AUTO_TEST_CASE(where_with_every_mask_shape_matches_the_elementwise_definition) {
  const Tensor a = random_tensor({2, 3, 8}, 70, -2.0f, 2.0f),
               b = random_tensor({2, 3, 8}, 71, -2.0f, 2.0f);
  Generator coin(72);
  for (const Shape& mask_shape : mask_shapes_for_2x3x8) {
    Tensor mask(mask_shape);
    for (float& m : mask) m = coin.next_float() < 0.5f ? 1.0f : 0.0f;
    BOOST_TEST_CONTEXT("mask " << shape_str(mask_shape)) {
      Tape tape;
      const Var y = recur::where(mask, tape.input(a), tape.input(b));
      BOOST_TEST_REQUIRE(y.value().size() == 48u);
      const Tensor broadcast_mask = xt::broadcast(mask, y.shape());
      for (std::size_t n = 0; n < 48; ++n) {
        const float expected = broadcast_mask.data()[n] != 0.0f ? a.data()[n] : b.data()[n];
        BOOST_TEST_REQUIRE(y.value().data()[n] == expected);
      }
      expect_gradients_match(
          [mask](std::span<const Var> in) { return recur::where(mask, in[0], in[1]); }, {a, b});
    }
  }
}

BOOST_AUTO_TEST_CASE(mul_mask_with_every_mask_shape_matches_the_elementwise_definition) {
  const Tensor x = random_tensor({2, 3, 8}, 73, -2.0f, 2.0f);
  Generator coin(74);
  for (const Shape& mask_shape : mask_shapes_for_2x3x8) {
    Tensor mask(mask_shape);
    for (float& m : mask) m = coin.next_float() < 0.3f ? 0.0f : 1.0f + coin.next_float();
    BOOST_TEST_CONTEXT("mask " << shape_str(mask_shape)) {
      Tape tape;
      const Var y = mul_mask(tape.input(x), mask);
      BOOST_TEST_REQUIRE(y.value().size() == 48u);
      const Tensor broadcast_mask = xt::broadcast(mask, y.shape());
      for (std::size_t n = 0; n < 48; ++n)
        BOOST_TEST_REQUIRE(y.value().data()[n] == x.data()[n] * broadcast_mask.data()[n]);
      expect_gradients_match([mask](std::span<const Var> in) { return mul_mask(in[0], mask); },
                             {x});
    }
  }
}

BOOST_AUTO_TEST_CASE(where_shape_mismatch_names_the_op_and_the_shapes) {
  Tape tape;
  const std::string message = error_message([&] {
    recur::where(zeros({2, 3}), tape.input(zeros({2, 3})), tape.input(zeros({2, 4})));
  });
  BOOST_TEST(message.find("where") != std::string::npos, message);
  BOOST_TEST(message.find("[2, 3]") != std::string::npos, message);
  BOOST_TEST(message.find("[2, 4]") != std::string::npos, message);
}

BOOST_AUTO_TEST_SUITE_END()
