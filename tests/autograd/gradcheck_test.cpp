// gradcheck itself: its default tolerances must catch a backward rule that is off by 1%, and
// pass the exact rule, or every other gradient test proves little.
#include <boost/test/unit_test.hpp>

#include <xtensor/xnoalias.hpp>

#include "autograd/gradcheck.hpp"
#include "autograd/ops/elementwise.hpp"
#include "autograd/ops/linalg.hpp"
#include "autograd/recorder.hpp"
#include "core/random.hpp"
#include "support/tensors.hpp"

using namespace recur;
using recur::test::random_tensor;

namespace {

// y = x * x * w (elementwise), whose backward rule is scaled by `rule_scale`: 1 is exact,
// 1.01 is the 1% error gradcheck must catch.
Var scaled_square_times(const Var& x, const Var& w, float rule_scale) {
  NodeRecorder rec("scaled_square_times", {x, w});
  xt::noalias(rec.output(x.shape())) = x.value() * x.value() * w.value();
  return rec.finish([rule_scale](BackwardContext& ctx) {
    const Tensor& x = ctx.input(0);
    const Tensor& w = ctx.input(1);
    if (ctx.needs_grad(0))
      xt::noalias(ctx.grad_input(0)) += rule_scale * 2.0f * x * w * ctx.grad_output();
    if (ctx.needs_grad(1)) xt::noalias(ctx.grad_input(1)) += rule_scale * x * x * ctx.grad_output();
  });
}

}  // namespace

BOOST_AUTO_TEST_SUITE(gradcheck_sensitivity)

BOOST_AUTO_TEST_CASE(default_tolerance_passes_the_exact_rule_and_catches_one_percent) {
  const Tensor x = random_tensor({3, 4}, 1, -1.5f, 1.5f), w = random_tensor({3, 4}, 2, -1.5f, 1.5f);
  for (const float scale : {1.0f, 1.01f, 0.99f}) {
    // Alone and inside a composition (the 1% error diluted by exact ops around it).
    const GradcheckResult alone = gradcheck(
        [scale](std::span<const Var> in) { return scaled_square_times(in[0], in[1], scale); },
        {x, w});
    const GradcheckResult composed = gradcheck(
        [scale](std::span<const Var> in) {
          return tanh(matmul(scaled_square_times(in[0], in[1], scale), in[1], false, true));
        },
        {x, w});
    const bool exact = scale == 1.0f;
    BOOST_TEST(alone.ok == exact, "scale " << scale << ": " << alone.report);
    BOOST_TEST(composed.ok == exact, "scale " << scale << ": " << composed.report);
  }
}

BOOST_AUTO_TEST_CASE(only_the_inputs_asked_for_are_checked) {
  const Tensor x = random_tensor({2, 3}, 3, -1.5f, 1.5f), w = random_tensor({2, 3}, 4, -1.5f, 1.5f);
  // Only x is checked: the report names input 0 and leaves input 1 out.
  GradcheckOptions options;
  options.check = {true, false};
  const GradcheckResult result = gradcheck(
      [](std::span<const Var> in) { return scaled_square_times(in[0], in[1], 1.0f); }, {x, w},
      options);
  BOOST_TEST(result.ok, result.report);
  BOOST_TEST(result.report.find("input 1") == std::string::npos, result.report);
  BOOST_TEST(result.report.find("input 0") != std::string::npos, result.report);
}

BOOST_AUTO_TEST_SUITE_END()
