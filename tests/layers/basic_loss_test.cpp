// Loss modules: values against hand computation, ignore_index, reductions, gradients.
#include <boost/test/unit_test.hpp>

#include <cmath>

#include "autograd/gradcheck.hpp"
#include "autograd/tape.hpp"
#include "core/error.hpp"
#include "core/random.hpp"
#include "layers/loss.hpp"
#include "support/check.hpp"

using namespace recur;

namespace {

// -log softmax(row)[target], in double.
double nll(const Tensor& logits, std::size_t row, std::size_t target) {
  double total = 0.0;
  for (std::size_t c = 0; c < logits.shape(1); ++c) total += std::exp(static_cast<double>(logits(row, c)));
  return std::log(total) - logits(row, target);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(basic_loss)

BOOST_AUTO_TEST_CASE(cross_entropy_loss_matches_hand_computation) {
  const Tensor logits = {{1.0f, 2.0f, 0.5f}, {-1.0f, 0.0f, 3.0f}, {0.2f, 0.1f, -0.3f}};
  const IndexTensor targets = {1, 2, 0};
  Tape tape;
  const Var x = tape.input(logits);
  const double terms[3] = {nll(logits, 0, 1), nll(logits, 1, 2), nll(logits, 2, 0)};
  nn::CrossEntropyLoss mean_loss;
  BOOST_TEST(mean_loss(x, targets).value()() == (terms[0] + terms[1] + terms[2]) / 3,
             boost::test_tools::tolerance(1e-6));
  nn::CrossEntropyLoss sum_loss({.reduction = Reduction::sum});
  BOOST_TEST(sum_loss(x, targets).value()() == terms[0] + terms[1] + terms[2],
             boost::test_tools::tolerance(1e-6));
  nn::CrossEntropyLoss each({.reduction = Reduction::none});
  const Tensor per_row = each(x, targets).value();
  for (std::size_t i = 0; i < 3; ++i)
    BOOST_TEST(per_row(i) == terms[i], boost::test_tools::tolerance(1e-6));
}

BOOST_AUTO_TEST_CASE(cross_entropy_loss_ignores_the_ignore_index_in_sum_and_count) {
  const Tensor logits = {{1.0f, 2.0f, 0.5f}, {-1.0f, 0.0f, 3.0f}, {0.2f, 0.1f, -0.3f}};
  Tape tape;
  const Var x = tape.input(logits, true);
  nn::CrossEntropyLoss criterion({.ignore_index = 0});
  // Row 2's target is the ignored class 0: the mean is over rows 0 and 1 only.
  const Var loss = criterion(x, IndexTensor{1, 2, 0});
  BOOST_TEST(loss.value()() == (nll(logits, 0, 1) + nll(logits, 1, 2)) / 2,
             boost::test_tools::tolerance(1e-6));
  tape.backward(loss);
  for (std::size_t c = 0; c < 3; ++c) BOOST_TEST(x.grad()(2, c) == 0.0f);
  BOOST_CHECK_THROW(criterion(x, IndexTensor{1, 3, 0}), ValueError);
}

BOOST_AUTO_TEST_CASE(cross_entropy_loss_gradient_matches_finite_differences) {
  nn::CrossEntropyLoss criterion({.ignore_index = 2});
  const GradcheckResult result = gradcheck(
      [&](std::span<const Var> in) { return criterion(in[0], IndexTensor{0, 2, 3, 1}); },
      {Generator(21).uniform({4, 5}, -2.0f, 2.0f)});
  BOOST_TEST(result.ok, result.report);
}

BOOST_AUTO_TEST_CASE(mse_loss_matches_hand_computation) {
  Tape tape;
  const Var input = tape.input(Tensor{{1.0f, 2.0f}, {3.0f, 4.0f}}, true);
  const Var target = tape.input(Tensor{{0.0f, 2.0f}, {5.0f, 3.0f}});
  // squared errors 1, 0, 4, 1
  nn::MSELoss mean_loss;
  const Var loss = mean_loss(input, target);
  BOOST_TEST(loss.value()() == 1.5f);
  nn::MSELoss sum_loss({.reduction = Reduction::sum});
  BOOST_TEST(sum_loss(input, target).value()() == 6.0f);
  nn::MSELoss each({.reduction = Reduction::none});
  BOOST_TEST((each(input, target).value() == Tensor{{1.0f, 0.0f}, {4.0f, 1.0f}}));
  tape.backward(loss);
  // d/dx mean((x - t)^2) = 2 (x - t) / 4
  RECUR_CHECK_CLOSE(input.grad(), (Tensor{{0.5f, 0.0f}, {-1.0f, 0.5f}}), 1e-6, 1e-7);
  BOOST_CHECK_THROW(mean_loss(input, tape.input(zeros({2, 3}))), ShapeError);
}

BOOST_AUTO_TEST_SUITE_END()
