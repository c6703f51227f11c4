// Adam's update splits a large parameter's elements over the team: the values, both moments and
// the amsgrad maximum must come out bitwise the same on 1, 2 and 3 threads.
#include <boost/test/unit_test.hpp>

#include <vector>

#include "autograd/parameter.hpp"
#include "core/random.hpp"
#include "core/threads.hpp"
#include "support/tensors.hpp"
#include "optim/adam.hpp"

namespace {

using recur::test::same_bits;

// Three Adam steps on a 600 x 500 parameter (300,000 elements: up to four members of 64K) with
// `threads` threads; the final value.
recur::Tensor adam_after_three_steps(int threads, bool amsgrad) {
  recur::set_num_threads(threads);
  recur::Generator generator(11);
  recur::Parameter parameter(generator.uniform({600, 500}, -1.0f, 1.0f));
  recur::optim::Adam adam({&parameter}, {.lr = 0.01, .weight_decay = 0.01, .amsgrad = amsgrad});
  for (int step = 0; step < 3; ++step) {
    parameter.grad = generator.uniform({600, 500}, -1.0f, 1.0f);
    adam.step();
  }
  return parameter.value;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(adam_threads)

BOOST_AUTO_TEST_CASE(adam_updates_a_large_parameter_bitwise_the_same_on_one_two_and_three_threads) {
  const int before = recur::num_threads();
  for (bool amsgrad : {false, true}) {
    const recur::Tensor one = adam_after_three_steps(1, amsgrad);
    const recur::Tensor two = adam_after_three_steps(2, amsgrad);
    const recur::Tensor three = adam_after_three_steps(3, amsgrad);
    BOOST_TEST(same_bits(one, two), "amsgrad " << amsgrad);
    BOOST_TEST(same_bits(one, three), "amsgrad " << amsgrad);
    // The steps moved the parameter (a test of a no-op would pass too).
    recur::Generator generator(11);
    const recur::Tensor start = generator.uniform({600, 500}, -1.0f, 1.0f);
    BOOST_TEST(!same_bits(one, start));
  }
  recur::set_num_threads(before);
}

BOOST_AUTO_TEST_SUITE_END()
