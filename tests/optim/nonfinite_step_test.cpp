// Skipping a step whose gradients are not finite: clip_grad_norm returns NaN/Inf, all_finite
// says false, and a loop that then drops the gradients leaves weights and optimiser state as
// they were, so one bad batch does not poison the model.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <limits>

#include "autograd/ops/elementwise.hpp"
#include "autograd/ops/linalg.hpp"
#include "autograd/ops/losses.hpp"
#include "autograd/parameter.hpp"
#include "autograd/tape.hpp"
#include "core/error.hpp"
#include "core/tensor.hpp"
#include "optim/adam.hpp"
#include "optim/clip.hpp"
#include "optim/finite.hpp"

using namespace recur;

namespace {

// One step of a linear regression y = x w^T on a batch; returns the clipped norm, or NaN when the
// step was skipped.
double guarded_step(Parameter& weight, optim::Optimizer& optimizer, const Tensor& x,
                    const Tensor& y, int& skipped) {
  Tape tape;
  Var prediction = matmul(tape.input(x), tape.parameter(weight), false, true);
  tape.backward(mse_loss(prediction, tape.input(y)));
  const double norm = optim::clip_grad_norm({&weight}, 1.0);
  BOOST_TEST(std::isfinite(norm) == optim::all_finite({&weight}));
  if (!std::isfinite(norm)) {
    optimizer.zero_grad();
    ++skipped;
    return norm;
  }
  optimizer.step();
  optimizer.zero_grad();
  return norm;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(nonfinite_step)

BOOST_AUTO_TEST_CASE(a_batch_with_inf_is_skipped_and_changes_nothing) {
  Parameter weight(Tensor{{0.5f, -0.25f}});
  optim::Adam optimizer({&weight}, {.lr = 0.01});
  const Tensor x = Tensor{{1.0f, 2.0f}, {0.5f, -1.0f}};
  Tensor y = zeros({2, 1});  // targets [2, 1]: 1 and 0
  y(0, 0) = 1.0f;
  int skipped = 0;
  BOOST_TEST(std::isfinite(guarded_step(weight, optimizer, x, y, skipped)));
  const Tensor weight_before = weight.value;
  const auto state_before = optimizer.state(0);

  Tensor poisoned = x;
  poisoned(1, 0) = std::numeric_limits<float>::infinity();
  BOOST_TEST(!std::isfinite(guarded_step(weight, optimizer, poisoned, y, skipped)));
  BOOST_TEST(skipped == 1);
  BOOST_TEST((weight.value == weight_before));
  BOOST_TEST(optimizer.state(0).step == state_before.step);
  BOOST_TEST((optimizer.state(0).buffers[0] == state_before.buffers[0]));
  BOOST_TEST(optim::all_finite({&weight}));  // the bad gradients were dropped

  // Training goes on from where it was.
  BOOST_TEST(std::isfinite(guarded_step(weight, optimizer, x, y, skipped)));
  BOOST_TEST(optimizer.state(0).step == state_before.step + 1);
  BOOST_TEST(!(weight.value == weight_before));
}

BOOST_AUTO_TEST_CASE(all_finite_sees_nan_and_inf_and_skips_frozen_parameters) {
  Parameter a(Tensor{1.0f, 2.0f}), frozen(Tensor{1.0f});
  a.grad = Tensor{0.0f, 1.0f};
  frozen.grad = Tensor{std::numeric_limits<float>::quiet_NaN()};
  frozen.requires_grad = false;
  BOOST_TEST(optim::all_finite({&a, &frozen}));
  a.grad(1) = -std::numeric_limits<float>::infinity();
  BOOST_TEST(!optim::all_finite({&a}));
  a.grad(1) = std::numeric_limits<float>::quiet_NaN();
  BOOST_TEST(!optim::all_finite({&a}));
  BOOST_CHECK_THROW(optim::all_finite({nullptr}), ValueError);
}

BOOST_AUTO_TEST_SUITE_END()
