// linear() splits the bias rows of its output and the sums of its bias gradient over the team:
// the output and every gradient must come out bitwise the same on 1, 2 and 3 threads, and the bias
// gradient must still be the column sums of dy (checked against sums in double here).
#include <boost/test/unit_test.hpp>

#include "autograd/ops/elementwise.hpp"
#include "autograd/ops/linalg.hpp"
#include "autograd/ops/reductions.hpp"
#include "autograd/tape.hpp"
#include "core/random.hpp"
#include "core/threads.hpp"
#include "support/tensors.hpp"

namespace {

using recur::test::same_bits;

// 3 x 3000 rows of 8 inputs into 40 outputs: the bias gradient is large enough to be split over
// three members (columns in 16s), the rows over up to 120K floats / 32K.
constexpr std::size_t kSteps = 3, kRows = 3000, kIn = 8, kOut = 40;

struct Results {
  recur::Tensor y, grad_x, grad_weight, grad_bias, dy;
};

// y = linear(x, W, b) on `threads` threads, and the gradients of sum(y * dy).
Results linear_on(int threads) {
  recur::set_num_threads(threads);
  recur::Generator generator(11);
  recur::Tape tape;
  const recur::Var x = tape.input(generator.uniform({kSteps, kRows, kIn}, -1.0f, 1.0f), true);
  const recur::Var weight = tape.input(generator.uniform({kOut, kIn}, -0.5f, 0.5f), true);
  const recur::Var bias = tape.input(generator.uniform({kOut}, -0.5f, 0.5f), true);
  const recur::Tensor dy = generator.uniform({kSteps, kRows, kOut}, -1.0f, 1.0f);
  const recur::Var y = recur::linear(x, weight, bias);
  tape.backward(recur::sum(y * tape.input(dy)));
  return {y.value(), x.grad(), weight.grad(), bias.grad(), dy};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(linear_threads)

BOOST_AUTO_TEST_CASE(linear_is_bitwise_the_same_on_one_two_and_three_threads) {
  const int before = recur::num_threads();
  const Results one = linear_on(1);
  for (int threads : {2, 3}) {
    const Results many = linear_on(threads);
    BOOST_TEST(same_bits(one.y, many.y), threads << " threads");
    BOOST_TEST(same_bits(one.grad_x, many.grad_x), threads << " threads");
    BOOST_TEST(same_bits(one.grad_weight, many.grad_weight), threads << " threads");
    BOOST_TEST(same_bits(one.grad_bias, many.grad_bias), threads << " threads");
  }
  // The bias gradient is dy summed over every row, each column (a split that lost a column or a
  // row would show).
  for (std::size_t o = 0; o < kOut; ++o) {
    double sum = 0.0;
    for (std::size_t r = 0; r < kSteps * kRows; ++r) sum += one.dy.data()[r * kOut + o];
    BOOST_TEST(one.grad_bias(o) == sum, boost::test_tools::tolerance(1e-3));
  }
  recur::set_num_threads(before);
}

BOOST_AUTO_TEST_SUITE_END()
