// The tape adds each parameter's gradient into Parameter::grad, and zero_grad() fills it, split
// over the team: on 1, 2 and 3 threads the gradients must be exactly what was added (here
// sum(w * c) gives c per backward, and c + c is exact), and zero after zero_grad().
#include <boost/test/unit_test.hpp>

#include "autograd/ops/elementwise.hpp"
#include "autograd/ops/reductions.hpp"
#include "autograd/parameter.hpp"
#include "autograd/tape.hpp"
#include "core/random.hpp"
#include "core/threads.hpp"
#include "support/tensors.hpp"

namespace {

using recur::test::same_bits;

// 600 x 500: 300,000 elements, up to four members of 64K.
const recur::Shape kShape{600, 500};

// The loss sum(w * c) for the parameter, backward on a tape of its own.
void add_gradient(recur::Parameter& parameter, const recur::Tensor& c) {
  recur::Tape tape;
  tape.backward(recur::sum(tape.parameter(parameter) * tape.input(c)));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(parameter_grad_threads)

BOOST_AUTO_TEST_CASE(gradients_accumulate_and_zero_exactly_on_one_two_and_three_threads) {
  const int before = recur::num_threads();
  recur::Generator generator(5);
  const recur::Tensor c = generator.uniform(kShape, -1.0f, 1.0f);
  const recur::Tensor twice = c + c;
  for (int threads : {1, 2, 3}) {
    BOOST_TEST_CONTEXT("threads " << threads) {
      recur::set_num_threads(threads);
      recur::Parameter parameter(generator.uniform(kShape, -1.0f, 1.0f));
      add_gradient(parameter, c);
      BOOST_TEST(same_bits(parameter.grad, c));
      add_gradient(parameter, c);  // a second backward adds to the first
      BOOST_TEST(same_bits(parameter.grad, twice));
      parameter.zero_grad();
      BOOST_TEST(same_bits(parameter.grad, recur::zeros(kShape)));
    }
  }
  recur::set_num_threads(before);
}

BOOST_AUTO_TEST_SUITE_END()
