// cross_entropy splits its rows over the team: the loss and the gradient of the logits must come
// out bitwise the same on 1, 2 and 3 threads, for every reduction and with ignored rows, and
// still be the loss (checked against a sum in double here).
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <vector>

#include "autograd/ops/elementwise.hpp"
#include "autograd/ops/losses.hpp"
#include "autograd/ops/reductions.hpp"
#include "autograd/tape.hpp"
#include "core/random.hpp"
#include "core/threads.hpp"
#include "support/tensors.hpp"

namespace {

using recur::Reduction;
using recur::test::same_bits;

constexpr std::size_t kRows = 3000, kClasses = 40;  // 120K logits: up to 7 members of 16K

struct LossAndGradient {
  recur::Tensor loss, grad;
};

// The loss and d(loss)/d(logits) on `threads` threads; for Reduction::none the gradient is of
// sum(weights * loss), so that every row's dy differs.
LossAndGradient cross_entropy_on(int threads, Reduction reduction) {
  recur::set_num_threads(threads);
  recur::Generator generator(5);
  recur::Tape tape;
  const recur::Var logits =
      tape.input(generator.uniform({kRows, kClasses}, -4.0f, 4.0f), /*requires_grad=*/true);
  recur::IndexTensor targets = recur::IndexTensor::from_shape({kRows});
  for (std::size_t n = 0; n < kRows; ++n)
    targets(n) = n % 7 == 3 ? -100 : static_cast<std::int64_t>(generator.below(kClasses));
  const recur::Var loss = recur::cross_entropy(logits, targets, -100, reduction);
  if (reduction == Reduction::none)
    tape.backward(recur::sum(loss * tape.input(generator.uniform({kRows}, 0.5f, 2.0f))));
  else
    tape.backward(loss);
  return {loss.value(), logits.grad()};
}

// The mean loss summed in double, row by row, from the same logits and targets.
double mean_loss_in_double() {
  recur::Generator generator(5);
  const recur::Tensor z = generator.uniform({kRows, kClasses}, -4.0f, 4.0f);
  double total = 0.0;
  std::size_t count = 0;
  for (std::size_t n = 0; n < kRows; ++n) {
    if (n % 7 == 3) continue;
    const auto target = static_cast<std::size_t>(generator.below(kClasses));
    double sum_exp = 0.0;
    for (std::size_t c = 0; c < kClasses; ++c) sum_exp += std::exp(double(z(n, c)));
    total += std::log(sum_exp) - z(n, target);
    ++count;
  }
  return total / static_cast<double>(count);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(loss_threads)

BOOST_AUTO_TEST_CASE(cross_entropy_is_bitwise_the_same_on_one_two_and_three_threads) {
  const int before = recur::num_threads();
  for (Reduction reduction : {Reduction::mean, Reduction::sum, Reduction::none}) {
    const LossAndGradient one = cross_entropy_on(1, reduction);
    const LossAndGradient two = cross_entropy_on(2, reduction);
    const LossAndGradient three = cross_entropy_on(3, reduction);
    const int r = static_cast<int>(reduction);
    BOOST_TEST(same_bits(one.loss, two.loss), "reduction " << r);
    BOOST_TEST(same_bits(one.loss, three.loss), "reduction " << r);
    BOOST_TEST(same_bits(one.grad, two.grad), "reduction " << r);
    BOOST_TEST(same_bits(one.grad, three.grad), "reduction " << r);
    // Ignored rows get no gradient, the others do (a split that skipped rows would show).
    BOOST_TEST(two.grad(3, 5) == 0.0f);
    BOOST_TEST(two.grad(kRows - 2, 0) != 0.0f);
  }
  BOOST_TEST(cross_entropy_on(2, Reduction::mean).loss() == mean_loss_in_double(),
             boost::test_tools::tolerance(1e-6));
  recur::set_num_threads(before);
}

BOOST_AUTO_TEST_SUITE_END()
