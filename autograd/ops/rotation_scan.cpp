// The diagonal complex recurrence as one node. The forward pass is a loop over steps whose inner
// loop over a row's channels the compiler vectorises; the backward pass carries dL/dx_{t-1} back
// through the transposed 2x2 blocks, adds each step's dL/du_t as it goes, and sums the
// gradients of a and b in double (T * B terms each, summed in a fixed order).
#include "autograd/ops/rotation_scan.hpp"

#include <string>
#include <vector>

#include "autograd/recorder.hpp"
#include "autograd/tape.hpp"
#include "core/error.hpp"

namespace recur {

Var rotation_scan(const Var& a, const Var& b, const Var& drive, const Var& initial) {
  const auto shapes = [&] {
    return "a " + (a.defined() ? shape_str(a.shape()) : std::string("(empty)")) + ", b " +
           (b.defined() ? shape_str(b.shape()) : std::string("(empty)")) + ", drive " +
           (drive.defined() ? shape_str(drive.shape()) : std::string("(empty)")) +
           (initial.defined() ? ", initial " + shape_str(initial.shape()) : std::string());
  };
  if (!a.defined() || !b.defined() || !drive.defined() || a.rank() != 1 || a.dim(0) == 0 ||
      b.shape() != a.shape() || drive.rank() != 3 || drive.dim(2) != 2 * a.dim(0))
    throw ShapeError("rotation_scan: expected a and b [N] and drive [T, B, 2N], got " + shapes());
  const std::size_t T = drive.dim(0), B = drive.dim(1), N = a.dim(0), W = 2 * N;
  if (initial.defined() && (initial.rank() != 2 || initial.dim(0) != B || initial.dim(1) != W))
    throw ShapeError("rotation_scan: expected initial [B, 2N] = " + shape_str(Shape{B, W}) +
                     ", got " + shapes());
  const Var start = initial.defined() ? initial : drive.tape().zeros({B, W});

  NodeRecorder rec("rotation_scan", {a, b, drive, start});
  Tensor& states = rec.output(Shape{T, B, W});
  const float* pa = a.value().data();
  const float* pb = b.value().data();
  const float* u = drive.value().data();
  float* x = states.data();
  for (std::size_t t = 0; t < T; ++t) {
    const float* prev = t ? x + (t - 1) * B * W : start.value().data();
    for (std::size_t r = 0; r < B; ++r) {
      const float* p = prev + r * W;
      const float* in = u + (t * B + r) * W;
      float* out = x + (t * B + r) * W;
      for (std::size_t j = 0; j < N; ++j) {
        out[j] = pa[j] * p[j] - pb[j] * p[N + j] + in[j];
        out[N + j] = pb[j] * p[j] + pa[j] * p[N + j] + in[N + j];
      }
    }
  }

  return rec.finish([T, B, N, W](BackwardContext& ctx) {
    const float* grad = ctx.grad_output().data();
    const float* x = ctx.output().data();
    const float* x0 = ctx.input(3).data();
    const float* pa = ctx.input(0).data();
    const float* pb = ctx.input(1).data();
    float* grad_drive = ctx.needs_grad(2) ? ctx.grad_input(2).data() : nullptr;
    // carry: dL/dx_t from the steps after t; it ends as dL/dx_{-1}.
    std::vector<float> carry(B * W, 0.0f);
    std::vector<double> grad_a(N, 0.0), grad_b(N, 0.0);
    for (std::size_t t = T; t-- > 0;) {
      const float* prev = t ? x + (t - 1) * B * W : x0;
      for (std::size_t r = 0; r < B; ++r) {
        const float* g_out = grad + (t * B + r) * W;
        const float* p = prev + r * W;
        float* c = carry.data() + r * W;
        float* g_in = grad_drive ? grad_drive + (t * B + r) * W : nullptr;
        for (std::size_t j = 0; j < N; ++j) {
          const float g_re = g_out[j] + c[j], g_im = g_out[N + j] + c[N + j];
          if (g_in) {
            g_in[j] += g_re;
            g_in[N + j] += g_im;
          }
          grad_a[j] += static_cast<double>(g_re) * p[j] + static_cast<double>(g_im) * p[N + j];
          grad_b[j] += static_cast<double>(g_im) * p[j] - static_cast<double>(g_re) * p[N + j];
          c[j] = pa[j] * g_re + pb[j] * g_im;
          c[N + j] = pa[j] * g_im - pb[j] * g_re;
        }
      }
    }
    if (ctx.needs_grad(0)) {
      float* g = ctx.grad_input(0).data();
      for (std::size_t j = 0; j < N; ++j) g[j] += static_cast<float>(grad_a[j]);
    }
    if (ctx.needs_grad(1)) {
      float* g = ctx.grad_input(1).data();
      for (std::size_t j = 0; j < N; ++j) g[j] += static_cast<float>(grad_b[j]);
    }
    if (ctx.needs_grad(3)) {
      float* g = ctx.grad_input(3).data();
      for (std::size_t k = 0; k < B * W; ++k) g[k] += carry[k];
    }
  });
}

}  // namespace recur
