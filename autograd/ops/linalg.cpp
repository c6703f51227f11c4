// Matrix products. Forward and backward are GEMM calls on the tape's buffers; backward
// accumulates into the inputs' gradients with beta = 1 and never materialises a transpose.
#include "autograd/ops/linalg.hpp"

#include <algorithm>

#include "autograd/recorder.hpp"
#include "core/error.hpp"
#include "core/gemm.hpp"

namespace recur {
namespace {

void require_matrix(const char* op, const char* name, const Var& v) {
  if (v.rank() != 2)
    throw ShapeError(std::string(op) + ": " + name + " must be 2-D, got " + shape_str(v.shape()));
}

}  // namespace

// C = op(A) op(B), A: [M, K] (or [K, M]), B: [K, N] (or [N, K]) -> C: [M, N]
//   dA += dC op(B)^T   (or op(B) dC^T when A is transposed)
//   dB += op(A)^T dC   (or dC^T op(A) when B is transposed)
Var matmul(const Var& a, const Var& b, bool transpose_a, bool transpose_b) {
  require_matrix("matmul", "the left operand", a);
  require_matrix("matmul", "the right operand", b);
  const std::size_t m = a.dim(transpose_a ? 1 : 0), k = a.dim(transpose_a ? 0 : 1);
  const std::size_t kb = b.dim(transpose_b ? 1 : 0), n = b.dim(transpose_b ? 0 : 1);
  if (k != kb)
    throw ShapeError("matmul: cannot multiply " + shape_str(a.shape()) + (transpose_a ? "^T" : "") +
                     " by " + shape_str(b.shape()) + (transpose_b ? "^T" : ""));
  NodeRecorder rec("matmul", {a, b});
  Tensor& c = rec.output(Shape{m, n});
  gemm(a.value(), transpose_a, b.value(), transpose_b, c, 1.0f, 0.0f, "matmul");
  return rec.finish([transpose_a, transpose_b](BackwardContext& ctx) {
    const Tensor& grad_c = ctx.grad_output();
    if (ctx.needs_grad(0)) {
      if (!transpose_a)
        gemm(grad_c, false, ctx.input(1), !transpose_b, ctx.grad_input(0), 1.0f, 1.0f);
      else
        gemm(ctx.input(1), transpose_b, grad_c, true, ctx.grad_input(0), 1.0f, 1.0f);
    }
    if (ctx.needs_grad(1)) {
      if (!transpose_b)
        gemm(ctx.input(0), !transpose_a, grad_c, false, ctx.grad_input(1), 1.0f, 1.0f);
      else
        gemm(grad_c, true, ctx.input(0), transpose_a, ctx.grad_input(1), 1.0f, 1.0f);
    }
  });
}

// y = x W^T + b: x [..., I] as N rows, W [O, I], b [O] -> y [..., O]
//   dx += dy W,  dW += dy^T x,  db += sum over rows of dy
Var linear(const Var& x, const Var& weight, const Var& bias) {
  require_matrix("linear", "the weight", weight);
  if (x.rank() == 0)
    throw ShapeError("linear: the input must be at least 1-D ([..., in]), got " +
                     shape_str(x.shape()));
  const std::size_t in = x.dim(x.rank() - 1), out = weight.dim(0);
  if (weight.dim(1) != in)
    throw ShapeError("linear: input " + shape_str(x.shape()) + " does not fit weight " +
                     shape_str(weight.shape()) + " (expected [" + std::to_string(out) + ", " +
                     std::to_string(in) + "])");
  const bool has_bias = bias.defined();
  if (has_bias && (bias.rank() != 1 || bias.dim(0) != out))
    throw ShapeError("linear: bias " + shape_str(bias.shape()) + " does not fit weight " +
                     shape_str(weight.shape()) + " (expected [" + std::to_string(out) + "])");
  std::size_t rows = 1;  // every leading axis, flattened
  for (std::size_t axis = 0; axis + 1 < x.rank(); ++axis) rows *= x.dim(axis);
  Shape shape(x.shape().begin(), x.shape().end());
  shape.back() = out;
  NodeRecorder rec = has_bias ? NodeRecorder("linear", {x, weight, bias})
                              : NodeRecorder("linear", {x, weight});
  Tensor& y = rec.output(shape);
  if (has_bias) {
    const float* b = bias.value().data();
    for (std::size_t r = 0; r < rows; ++r) std::copy(b, b + out, y.data() + r * out);
  }
  gemm_raw(x.value().data(), false, weight.value().data(), true, y.data(), rows, out, in, 1.0f,
           has_bias ? 1.0f : 0.0f);
  return rec.finish([has_bias, rows, in, out](BackwardContext& ctx) {
    const float* grad_y = ctx.grad_output().data();
    if (ctx.needs_grad(0))
      gemm_raw(grad_y, false, ctx.input(1).data(), false, ctx.grad_input(0).data(), rows, in, out,
               1.0f, 1.0f);
    if (ctx.needs_grad(1))
      gemm_raw(grad_y, true, ctx.input(0).data(), false, ctx.grad_input(1).data(), out, in, rows,
               1.0f, 1.0f);
    if (has_bias && ctx.needs_grad(2)) {
      float* grad_b = ctx.grad_input(2).data();
      for (std::size_t r = 0; r < rows; ++r)
        for (std::size_t o = 0; o < out; ++o) grad_b[o] += grad_y[r * out + o];
    }
  });
}

}  // namespace recur
