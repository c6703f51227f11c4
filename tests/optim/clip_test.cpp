// Gradient clipping by total norm (any p, infinity) and by value.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <memory>

#include "core/error.hpp"
#include "optim/clip.hpp"
#include "support/check.hpp"

using namespace recur;
using namespace recur::optim;

namespace {

// Two parameters whose gradients are [3, 4] and [[-12]]: 2-norm 13, 1-norm 19, inf-norm 12.
struct TwoGradients {
  Parameter first{zeros({2})};
  Parameter second{zeros({1, 1})};
  TwoGradients() {
    first.grad = Tensor{3.0f, 4.0f};
    second.grad = Tensor(xt::xarray<float>::shape_type{1, 1}, -12.0f);
  }
  std::vector<Parameter*> params() { return {&first, &second}; }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(clipping)

BOOST_AUTO_TEST_CASE(clip_grad_norm_returns_the_norm_before_clipping_and_scales_all_gradients) {
  TwoGradients grads;
  const double norm = clip_grad_norm(grads.params(), 6.5);
  BOOST_TEST(norm == 13.0, boost::test_tools::tolerance(1e-12));
  const float factor = static_cast<float>(6.5 / (13.0 + 1e-6));
  RECUR_CHECK_CLOSE(grads.first.grad, (Tensor{3.0f * factor, 4.0f * factor}), 1e-6, 0);
  RECUR_CHECK_CLOSE(grads.second.grad, (Tensor(Tensor::shape_type{1, 1}, -12.0f * factor)), 1e-6, 0);
}

BOOST_AUTO_TEST_CASE(clip_grad_norm_leaves_gradients_below_the_limit_untouched) {
  TwoGradients grads;
  BOOST_TEST(clip_grad_norm(grads.params(), 13.001) == 13.0, boost::test_tools::tolerance(1e-12));
  BOOST_TEST((grads.first.grad == Tensor{3.0f, 4.0f}));
  BOOST_TEST((grads.second.grad == Tensor(xt::xarray<float>::shape_type{1, 1}, -12.0f)));
}

BOOST_AUTO_TEST_CASE(clip_grad_norm_supports_one_three_and_infinity_norms) {
  TwoGradients one;
  BOOST_TEST(clip_grad_norm(one.params(), 100, 1.0) == 19.0, boost::test_tools::tolerance(1e-12));
  TwoGradients three;
  BOOST_TEST(clip_grad_norm(three.params(), 100, 3.0) == std::cbrt(27.0 + 64.0 + 1728.0),
             boost::test_tools::tolerance(1e-12));
  TwoGradients infinity;
  BOOST_TEST(clip_grad_norm(infinity.params(), 6.0, INFINITY) == 12.0);
  BOOST_TEST(infinity.second.grad(0, 0) == static_cast<float>(-12.0 * 6.0 / (12.0 + 1e-6)),
             boost::test_tools::tolerance(1e-6f));
}

BOOST_AUTO_TEST_CASE(clip_grad_norm_ignores_frozen_parameters) {
  TwoGradients grads;
  grads.second.requires_grad = false;
  BOOST_TEST(clip_grad_norm(grads.params(), 1.0) == 5.0, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(grads.second.grad(0, 0) == -12.0f);
}

BOOST_AUTO_TEST_CASE(clip_grad_norm_reports_a_nonfinite_norm_when_asked) {
  TwoGradients grads;
  grads.first.grad(0) = NAN;
  BOOST_TEST(std::isnan(clip_grad_norm(grads.params(), 1.0)));
  grads.first.grad(0) = INFINITY;
  BOOST_CHECK_THROW(clip_grad_norm(grads.params(), 1.0, 2.0, true), ValueError);
  BOOST_CHECK_THROW(clip_grad_norm(grads.params(), 1.0, 0.0), ValueError);
  BOOST_CHECK_THROW(clip_grad_norm(grads.params(), -1.0), ValueError);
}

BOOST_AUTO_TEST_CASE(clip_grad_value_clamps_each_element) {
  TwoGradients grads;
  clip_grad_value(grads.params(), 3.5);
  BOOST_TEST((grads.first.grad == Tensor{3.0f, 3.5f}));
  BOOST_TEST((grads.second.grad == Tensor(Tensor::shape_type{1, 1}, -3.5f)));
  BOOST_CHECK_THROW(clip_grad_value(grads.params(), -1.0), ValueError);
}

BOOST_AUTO_TEST_SUITE_END()
