// Snippet for docs/tape.md: a custom op with its backward rule and its gradient check.
#include <recur/recur.hpp>

#include <cstdio>

#include <xtensor/xnoalias.hpp>

//! [custom op]
// y = x^3;  dx += 3 x^2 dy
recur::Var cube(const recur::Var& x) {
  recur::NodeRecorder rec("cube", {x});
  recur::Tensor& y = rec.output(x.shape());
  xt::noalias(y) = x.value() * x.value() * x.value();
  return rec.finish([](recur::BackwardContext& ctx) {
    if (ctx.needs_grad(0))
      xt::noalias(ctx.grad_input(0)) += 3.0f * ctx.input(0) * ctx.input(0) * ctx.grad_output();
  });
}
//! [custom op]

int main() {
  //! [gradcheck]
  recur::Generator generator(7);
  const recur::Tensor x = generator.uniform({3, 4}, -1.0f, 1.0f);
  const recur::GradcheckResult result =
      recur::gradcheck([](std::span<const recur::Var> in) { return cube(in[0]); }, {x});
  std::printf("%s: %s\n", result.ok ? "ok" : "FAILED", result.report.c_str());
  //! [gradcheck]
  return result.ok ? 0 : 1;
}
