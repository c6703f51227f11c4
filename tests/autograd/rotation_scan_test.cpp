// rotation_scan: the states against the complex recurrence computed in double with
// std::complex, the gradients of all four inputs against finite differences, and bad shapes.
#include "autograd/ops/rotation_scan.hpp"

#include <boost/test/unit_test.hpp>
#include <complex>

#include "autograd/tape.hpp"
#include "support/check.hpp"
#include "support/errors.hpp"
#include "support/gradients.hpp"
#include "support/tensors.hpp"

using namespace recur;
using recur::test::expect_error;
using recur::test::expect_gradients_match;
using recur::test::random_tensor;

BOOST_AUTO_TEST_SUITE(rotation_scan_op)

BOOST_AUTO_TEST_CASE(states_follow_the_complex_recurrence) {
  const std::size_t T = 7, B = 3, N = 4;
  // |lambda| up to 0.99, as the LRU's ring starts it, so the states stay in range.
  const Tensor a = random_tensor({N}, 1, -0.7f, 0.7f), b = random_tensor({N}, 2, -0.7f, 0.7f);
  const Tensor drive = random_tensor({T, B, 2 * N}, 3), initial = random_tensor({B, 2 * N}, 4);
  for (bool with_initial : {false, true}) {
    Tape tape;
    const Tensor states =
        rotation_scan(tape.input(a), tape.input(b), tape.input(drive),
                      with_initial ? tape.input(initial) : Var())
            .value();
    BOOST_TEST_REQUIRE((states.shape() == Shape{T, B, 2 * N}));
    for (std::size_t r = 0; r < B; ++r)
      for (std::size_t j = 0; j < N; ++j) {
        const std::complex<double> lambda(a(j), b(j));
        std::complex<double> x = with_initial ? std::complex<double>(initial(r, j), initial(r, N + j))
                                              : 0.0;
        for (std::size_t t = 0; t < T; ++t) {
          x = lambda * x + std::complex<double>(drive(t, r, j), drive(t, r, N + j));
          BOOST_TEST(states(t, r, j) == x.real(), boost::test_tools::tolerance(1e-5));
          BOOST_TEST(states(t, r, N + j) == x.imag(), boost::test_tools::tolerance(1e-5));
        }
      }
  }
}

BOOST_AUTO_TEST_CASE(gradients_of_lambda_drive_and_initial_state_match_finite_differences) {
  const Tensor a = random_tensor({3}, 5, -0.8f, 0.8f), b = random_tensor({3}, 6, -0.8f, 0.8f);
  expect_gradients_match(
      [](std::span<const Var> in) { return rotation_scan(in[0], in[1], in[2], in[3]); },
      {a, b, random_tensor({5, 2, 6}, 7), random_tensor({2, 6}, 8)});
  expect_gradients_match([](std::span<const Var> in) { return rotation_scan(in[0], in[1], in[2]); },
                         {a, b, random_tensor({4, 3, 6}, 9)});
}

BOOST_AUTO_TEST_CASE(bad_shapes_name_the_op_and_the_shapes) {
  Tape tape;
  const Var a = tape.input(random_tensor({3}, 1)), b = tape.input(random_tensor({3}, 2));
  const Var drive = tape.input(random_tensor({4, 2, 6}, 3));
  expect_error<ShapeError>([&] { rotation_scan(a, b, tape.input(random_tensor({4, 2, 5}, 4))); },
                           {"rotation_scan", "[4, 2, 5]", "[T, B, 2N]"});
  expect_error<ShapeError>([&] { rotation_scan(a, tape.input(random_tensor({2}, 5)), drive); },
                           {"rotation_scan", "b [2]"});
  expect_error<ShapeError>(
      [&] { rotation_scan(a, b, drive, tape.input(random_tensor({3, 6}, 6))); },
      {"rotation_scan", "initial [3, 6]", "[2, 6]"});
}

BOOST_AUTO_TEST_SUITE_END()
