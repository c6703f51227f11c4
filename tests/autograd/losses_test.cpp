// Loss functions: values against hand-computed numbers and PyTorch, gradients against finite
// differences, ignore_index and the reductions, and the error messages for bad shapes.
#include "autograd/ops/losses.hpp"

#include <boost/test/unit_test.hpp>
#include <cmath>

#include "autograd/gradcheck.hpp"
#include "autograd/no_grad.hpp"
#include "autograd/ops/nn_ops.hpp"
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

namespace {

const Tensor logits_3x3{{1.0f, 2.0f, 3.0f}, {0.5f, -1.0f, 2.0f}, {0.0f, 0.0f, 0.0f}};

}  // namespace

BOOST_AUTO_TEST_SUITE(losses)

BOOST_AUTO_TEST_CASE(cross_entropy_is_minus_log_softmax_at_the_target) {
  Tape tape;
  const Var logits = tape.input(logits_3x3);
  const IndexTensor targets{2, 0, 1};
  const Var per_row = cross_entropy(logits, targets, -100, Reduction::none);
  const Var log_probs = log_softmax(logits, 1);
  for (std::size_t n = 0; n < 3; ++n)
    BOOST_TEST(per_row.value()(n) == -log_probs.value()(n, targets(n)),
               boost::test_tools::tolerance(1e-6f));
  // torch.nn.functional.cross_entropy(..., reduction='none') gives these.
  RECUR_CHECK_CLOSE(per_row.value(), (Tensor{0.40760594f, 1.7413113f, 1.0986123f}), 1e-6, 1e-6);
  BOOST_TEST(cross_entropy(logits, targets, -100, Reduction::sum).value()() ==
                 0.40760594f + 1.7413113f + 1.0986123f,
             boost::test_tools::tolerance(1e-6f));
  BOOST_TEST(
      cross_entropy(logits, targets).value()() == (0.40760594f + 1.7413113f + 1.0986123f) / 3.0f,
      boost::test_tools::tolerance(1e-6f));
}

BOOST_AUTO_TEST_CASE(cross_entropy_mean_excludes_ignored_rows) {
  Tape tape;
  const Var logits = tape.input(logits_3x3, true);
  // PyTorch: cross_entropy(x, [2, -100, 1]) = 0.7531090974807739 = (0.4076 + 1.0986) / 2.
  const Var loss = cross_entropy(logits, IndexTensor{2, -100, 1});
  BOOST_TEST(loss.value()() == 0.75310910f, boost::test_tools::tolerance(1e-6f));
  tape.backward(loss);
  // The ignored row gets no gradient; the others get (softmax - onehot) / 2.
  for (std::size_t c = 0; c < 3; ++c) BOOST_TEST(logits.grad()(1, c) == 0.0f);
  BOOST_TEST(logits.grad()(0, 2) == (0.66524094f - 1.0f) / 2.0f,
             boost::test_tools::tolerance(1e-5f));
  BOOST_TEST(logits.grad()(2, 0) == (1.0f / 3.0f) / 2.0f, boost::test_tools::tolerance(1e-5f));
  // A custom ignore_index works the same way.
  BOOST_TEST(cross_entropy(logits, IndexTensor{2, 7, 1}, 7).value()() == 0.75310910f,
             boost::test_tools::tolerance(1e-6f));
}

BOOST_AUTO_TEST_CASE(cross_entropy_with_every_row_ignored_is_nan_with_zero_gradient) {
  // PyTorch's rule: the mean over no rows is 0/0 = nan, and the gradient is zero.
  Tape tape;
  const Var logits = tape.input(logits_3x3, true);
  const Var loss = cross_entropy(logits, IndexTensor{-100, -100, -100});
  BOOST_TEST(std::isnan(loss.value()()));
  tape.backward(loss);
  BOOST_TEST(xt::all(xt::equal(logits.grad(), 0.0f)));
  BOOST_TEST(cross_entropy(logits, IndexTensor{-100, -100, -100}, -100, Reduction::sum).value()() ==
             0.0f);
}

BOOST_AUTO_TEST_CASE(cross_entropy_gradients_match_finite_differences) {
  const Tensor logits = random_tensor({4, 5}, 21, -2.0f, 2.0f);
  const IndexTensor targets{3, 0, 4, 1};
  const IndexTensor some_ignored{3, -1, 4, -1};
  for (Reduction reduction : {Reduction::mean, Reduction::sum, Reduction::none}) {
    expect_gradients_match(
        [&](std::span<const Var> in) { return cross_entropy(in[0], targets, -100, reduction); },
        {logits});
    expect_gradients_match(
        [&](std::span<const Var> in) { return cross_entropy(in[0], some_ignored, -1, reduction); },
        {logits});
  }
}

BOOST_AUTO_TEST_CASE(
    cross_entropy_over_many_classes_matches_a_double_reference_with_or_without_grad) {
  // 37 classes: the vectorised row kernels and their tails; no_grad takes a different path.
  const Tensor logits = random_tensor({6, 37}, 22, -2.0f, 2.0f);
  const IndexTensor targets{0, 36, 5, -100, 17, 8};
  double total = 0;
  for (std::size_t n = 0; n < 6; ++n) {
    if (targets(n) < 0) continue;
    double sum_exp = 0;
    for (std::size_t c = 0; c < 37; ++c) sum_exp += std::exp(static_cast<double>(logits(n, c)));
    total += std::log(sum_exp) - logits(n, static_cast<std::size_t>(targets(n)));
  }
  Tape tape;
  BOOST_TEST(cross_entropy(tape.input(logits, true), targets).value()() == total / 5,
             boost::test_tools::tolerance(1e-5));
  {
    NoGradGuard no_grad;
    BOOST_TEST(cross_entropy(tape.input(logits, true), targets).value()() == total / 5,
               boost::test_tools::tolerance(1e-5));
  }
  expect_gradients_match([&](std::span<const Var> in) { return cross_entropy(in[0], targets); },
                         {logits});
}

BOOST_AUTO_TEST_CASE(cross_entropy_is_stable_for_huge_logits) {
  Tape tape;
  const Var loss = cross_entropy(tape.input(Tensor{{1000.0f, 0.0f}, {-1000.0f, 0.0f}}),
                                 IndexTensor{0, 0}, -100, Reduction::none);
  BOOST_TEST(loss.value()(0) == 0.0f);
  BOOST_TEST(loss.value()(1) == 1000.0f);
}

BOOST_AUTO_TEST_CASE(cross_entropy_rejects_bad_shapes_and_targets_with_clear_messages) {
  Tape tape;
  const Var logits = tape.input(zeros({4, 5}));
  const std::string mismatch = error_message([&] { cross_entropy(logits, IndexTensor{1, 2, 3}); });
  BOOST_TEST(mismatch.find("cross_entropy") != std::string::npos, mismatch);
  BOOST_TEST(mismatch.find("[4, 5]") != std::string::npos, mismatch);
  BOOST_TEST(mismatch.find("[3]") != std::string::npos, mismatch);
  BOOST_CHECK_THROW(cross_entropy(logits, IndexTensor{1, 2, 3}), ShapeError);
  BOOST_CHECK_THROW(cross_entropy(tape.input(zeros({4})), IndexTensor{1, 2, 3, 0}), ShapeError);

  const std::string bad_target = error_message([&] {
    cross_entropy(logits, IndexTensor{1, 5, 0, 0});
  });
  BOOST_TEST(bad_target.find("cross_entropy") != std::string::npos, bad_target);
  BOOST_TEST(bad_target.find("target 5") != std::string::npos, bad_target);
  BOOST_TEST(bad_target.find("5 classes") != std::string::npos, bad_target);
  BOOST_CHECK_THROW(cross_entropy(logits, IndexTensor{1, -3, 0, 0}), ValueError);
  BOOST_TEST(tape.size() == 2u);  // the two inputs: failed calls left no half-made node behind
}

BOOST_AUTO_TEST_CASE(mse_loss_values_for_each_reduction) {
  Tape tape;
  const Var input = tape.input(Tensor{{1.0f, 2.0f}, {3.0f, 4.0f}});
  const Var target = tape.input(Tensor{{0.0f, 2.0f}, {5.0f, 1.0f}});
  // squared differences: 1, 0, 4, 9
  RECUR_CHECK_CLOSE(mse_loss(input, target, Reduction::none).value(),
                    (Tensor{{1.0f, 0.0f}, {4.0f, 9.0f}}), 0, 0);
  BOOST_TEST(mse_loss(input, target, Reduction::sum).value()() == 14.0f);
  BOOST_TEST(mse_loss(input, target).value()() == 3.5f);
}

BOOST_AUTO_TEST_CASE(mse_loss_of_a_long_vector_matches_a_double_reference) {
  const Tensor input = random_tensor({3, 37}, 33, -2.0f, 2.0f),
               target = random_tensor({3, 37}, 34, -2.0f, 2.0f);
  double total = 0;
  for (std::size_t i = 0; i < input.size(); ++i) {
    const double d = static_cast<double>(input.data()[i]) - target.data()[i];
    total += d * d;
  }
  Tape tape;
  const Var a = tape.input(input), b = tape.input(target);
  BOOST_TEST(mse_loss(a, b, Reduction::sum).value()() == total, boost::test_tools::tolerance(1e-5));
  BOOST_TEST(mse_loss(a, b).value()() == total / 111, boost::test_tools::tolerance(1e-5));
}

BOOST_AUTO_TEST_CASE(mse_loss_gradients_match_finite_differences) {
  const Tensor input = random_tensor({3, 4}, 31, -2.0f, 2.0f),
               target = random_tensor({3, 4}, 32, -2.0f, 2.0f);
  for (Reduction reduction : {Reduction::mean, Reduction::sum, Reduction::none})
    expect_gradients_match(
        [reduction](std::span<const Var> in) { return mse_loss(in[0], in[1], reduction); },
        {input, target});
}

BOOST_AUTO_TEST_CASE(mse_loss_shape_mismatch_names_the_op_and_both_shapes) {
  Tape tape;
  const std::string message = error_message([&] {
    mse_loss(tape.input(zeros({2, 3})), tape.input(zeros({3, 2})));
  });
  BOOST_TEST(message.find("mse_loss") != std::string::npos, message);
  BOOST_TEST(message.find("[2, 3]") != std::string::npos, message);
  BOOST_TEST(message.find("[3, 2]") != std::string::npos, message);
}

BOOST_AUTO_TEST_SUITE_END()
