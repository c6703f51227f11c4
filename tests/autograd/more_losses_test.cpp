// binary_cross_entropy_with_logits, nll_loss and huber_loss: values against hand-computed
// numbers and the definitions, stability at large logits, the reductions and ignore_index,
// gradients against finite differences, and the errors.
#include <boost/test/unit_test.hpp>
#include <cmath>

#include "autograd/ops/losses.hpp"
#include "autograd/ops/nn_ops.hpp"
#include "autograd/tape.hpp"
#include "support/check.hpp"
#include "support/errors.hpp"
#include "support/gradients.hpp"
#include "support/tensors.hpp"

using namespace recur;
using recur::test::expect_error;
using recur::test::expect_gradients_match;
using recur::test::random_tensor;

BOOST_AUTO_TEST_SUITE(more_losses)

BOOST_AUTO_TEST_CASE(bce_with_logits_matches_its_definition_and_stays_finite) {
  const Tensor logits{{0.5f, -1.0f, 2.0f}, {-3.0f, 0.0f, 1.5f}};
  const Tensor targets{{1.0f, 0.0f, 0.3f}, {0.0f, 1.0f, 1.0f}};
  const Tensor pos_weight{2.0f, 0.5f, 1.5f};
  Tensor expected = zeros({2, 3});
  for (std::size_t i = 0; i < 2; ++i)
    for (std::size_t j = 0; j < 3; ++j) {
      const double s = 1.0 / (1.0 + std::exp(-static_cast<double>(logits(i, j))));
      expected(i, j) = static_cast<float>(-(pos_weight(j) * targets(i, j) * std::log(s) +
                                            (1.0 - targets(i, j)) * std::log(1.0 - s)));
    }
  Tape tape;
  const Var x = tape.input(logits), t = tape.input(targets), p = tape.input(pos_weight);
  RECUR_CHECK_CLOSE(binary_cross_entropy_with_logits(x, t, Reduction::none, p).value(), expected,
                    1e-6, 1e-6);
  BOOST_TEST(binary_cross_entropy_with_logits(x, t, Reduction::sum, p).value()() ==
                 static_cast<float>(xt::sum(expected)()),
             boost::test_tools::tolerance(1e-5f));
  BOOST_TEST(binary_cross_entropy_with_logits(x, t, Reduction::mean, p).value()() ==
                 static_cast<float>(xt::mean(expected)()),
             boost::test_tools::tolerance(1e-5f));
  // Unweighted is pos_weight 1.
  RECUR_CHECK_CLOSE(
      binary_cross_entropy_with_logits(x, t, Reduction::none).value(),
      binary_cross_entropy_with_logits(x, t, Reduction::none, tape.input(full({3}, 1.0f))).value(),
      1e-6, 0);
  // A confident wrong logit of 200 costs 200, not inf; a right one costs ~0, not NaN.
  const Var far = tape.input(Tensor{200.0f, -200.0f});
  const Tensor costs =
      binary_cross_entropy_with_logits(far, tape.input(Tensor{0.0f, 0.0f}), Reduction::none)
          .value();
  BOOST_TEST(costs(0) == 200.0f);
  BOOST_TEST(costs(1) == 0.0f);
}

BOOST_AUTO_TEST_CASE(bce_with_logits_gradients_reach_input_target_and_pos_weight) {
  const Tensor x = random_tensor({4, 3}, 1, -3.0f, 3.0f), t = random_tensor({4, 3}, 2, 0.0f, 1.0f);
  const Tensor p = random_tensor({3}, 3, 0.5f, 2.0f);
  for (Reduction reduction : {Reduction::mean, Reduction::sum, Reduction::none}) {
    expect_gradients_match(
        [reduction](std::span<const Var> in) {
          return binary_cross_entropy_with_logits(in[0], in[1], reduction, in[2]);
        },
        {x, t, p});
    expect_gradients_match(
        [reduction](std::span<const Var> in) {
          return binary_cross_entropy_with_logits(in[0], in[1], reduction);
        },
        {x, t});
  }
}

BOOST_AUTO_TEST_CASE(nll_loss_of_log_softmax_is_cross_entropy) {
  const Tensor logits = random_tensor({5, 4}, 4, -2.0f, 2.0f);
  const IndexTensor targets{3, -100, 0, 2, 3};
  for (Reduction reduction : {Reduction::mean, Reduction::sum, Reduction::none}) {
    Tape fused_tape, composed_tape;
    const Var a = fused_tape.input(logits, true), b = composed_tape.input(logits, true);
    const Var fused = cross_entropy(a, targets, -100, reduction);
    const Var composed = nll_loss(log_softmax(b, 1), targets, -100, reduction);
    RECUR_CHECK_CLOSE(composed.value(), fused.value(), 1e-6, 1e-6);
    const Tensor seed =
        reduction == Reduction::none ? random_tensor({5}, 5, -2.0f, 2.0f) : Tensor(0.7f);
    fused_tape.backward(fused, seed);
    composed_tape.backward(composed, seed);
    RECUR_CHECK_CLOSE(b.grad(), a.grad(), 1e-5, 1e-6);
    expect_gradients_match(
        [&targets, reduction](std::span<const Var> in) {
          return nll_loss(in[0], targets, -100, reduction);
        },
        {logits});
  }
  // Every row ignored: the mean is NaN (0 / 0) and the gradient zero, as PyTorch.
  Tape tape;
  const Var x = tape.input(logits, true);
  const Var all_ignored = nll_loss(x, IndexTensor{7, 7, 7, 7, 7}, 7);
  BOOST_TEST(std::isnan(all_ignored.value()()));
  tape.backward(all_ignored, Tensor(1.0f));
  RECUR_CHECK_CLOSE(x.grad(), zeros({5, 4}), 0, 0);
}

BOOST_AUTO_TEST_CASE(huber_loss_is_quadratic_inside_delta_and_linear_outside) {
  Tape tape;
  const Var input = tape.input(Tensor{0.5f, 3.0f, -2.0f, 1.0f}, true);
  const Var target = tape.input(Tensor{0.0f, 0.0f, 0.0f, 0.0f}, true);
  // delta 1: 0.125, 2.5, 1.5, 0.5 (|d| = delta takes the linear branch, equal there)
  const Var none = huber_loss(input, target, Reduction::none);
  RECUR_CHECK_CLOSE(none.value(), (Tensor{0.125f, 2.5f, 1.5f, 0.5f}), 1e-6, 0);
  BOOST_TEST(huber_loss(input, target).value()() == 4.625f / 4.0f,
             boost::test_tools::tolerance(1e-6f));
  // delta 2: 0.125, 2 * (3 - 1) = 4, 2, 0.5
  const Var wide = huber_loss(input, target, Reduction::sum, 2.0f);
  BOOST_TEST(wide.value()() == 6.625f, boost::test_tools::tolerance(1e-6f));
  tape.backward(wide, Tensor(1.0f));
  RECUR_CHECK_CLOSE(input.grad(), (Tensor{0.5f, 2.0f, -2.0f, 1.0f}), 1e-6, 0);  // clamp(d, -2, 2)
  RECUR_CHECK_CLOSE(target.grad(), (Tensor{-0.5f, -2.0f, 2.0f, -1.0f}), 1e-6, 0);
  // Differences away from +-delta (0.7) by more than the step.
  Tensor a = random_tensor({3, 4}, 6, -2.0f, 2.0f);
  const Tensor b = zeros({3, 4});
  for (float& v : a)
    if (std::abs(std::abs(v) - 0.7f) < 0.05f) v *= 1.3f;
  for (Reduction reduction : {Reduction::mean, Reduction::sum, Reduction::none})
    expect_gradients_match(
        [reduction](std::span<const Var> in) { return huber_loss(in[0], in[1], reduction, 0.7f); },
        {a, b});
}

BOOST_AUTO_TEST_CASE(the_new_losses_refuse_bad_shapes_targets_and_delta) {
  Tape tape;
  const Var x = tape.input(zeros({2, 3}));
  expect_error<ShapeError>(
      [&] {
        binary_cross_entropy_with_logits(x, tape.input(zeros({3, 2})));
      },
      {"binary_cross_entropy_with_logits", "[2, 3]", "[3, 2]"});
  expect_error<ShapeError>(
      [&] { binary_cross_entropy_with_logits(x, x, Reduction::mean, tape.input(zeros({2}))); },
      {"binary_cross_entropy_with_logits", "[2]", "[2, 3]"});
  expect_error<ShapeError>(
      [&] {
        binary_cross_entropy_with_logits(x, x, Reduction::mean, tape.input(zeros({2, 2, 3})));
      },
      {"binary_cross_entropy_with_logits", "pos_weight", "[2, 2, 3]"});
  expect_error<ShapeError>(
      [&] {
        nll_loss(x, IndexTensor{0, 1, 2});
      },
      {"nll_loss", "[2, 3]", "[3]"});
  expect_error<ValueError>(
      [&] {
        nll_loss(x, IndexTensor{0, 3});
      },
      {"nll_loss", "target 3", "row 1", "3 classes"});
  expect_error<ShapeError>([&] { huber_loss(x, tape.input(zeros({3}))); },
                           {"huber_loss", "[2, 3]", "[3]"});
  expect_error<ValueError>([&] { huber_loss(x, x, Reduction::mean, 0.0f); },
                           {"huber_loss", "delta", "positive"});
}

BOOST_AUTO_TEST_SUITE_END()
