// Matrix products. Forward and backward are GEMM calls on the tape's buffers; backward
// accumulates into the inputs' gradients with beta = 1 and never materialises a transpose.
// Batched products (rank >= 3, torch.matmul's broadcasting) run one GEMM per batch element, or
// a single GEMM over every row when the right operand is one shared matrix.
#include "autograd/ops/linalg.hpp"

#include <algorithm>

#include "autograd/recorder.hpp"
#include "core/error.hpp"
#include "core/gemm.hpp"
#include "core/kernels/team.hpp"

namespace recur {
namespace {

void require_matrix(const char* op, const char* name, const Var& v) {
  if (v.rank() != 2)
    throw ShapeError(std::string(op) + ": " + name + " must be 2-D, got " + shape_str(v.shape()));
}

}  // namespace

namespace {

// How a (possibly batched, possibly vector) product maps onto GEMM calls: op(a) is [m, k] and
// op(b) is [k, n] in every batch element; batch element t reads matrix a_index(t) of a and
// b_index(t) of b (stride 0 along the axes an operand is broadcast over).
struct BatchPlan {
  std::size_t m = 1, n = 1, k = 1;
  bool transpose_a = false, transpose_b = false;  // effective flags (false for a vector)
  std::size_t batch = 1;                          // product of the broadcast batch extents
  Shape batch_shape, a_strides, b_strides;        // strides counted in matrices
  bool b_shared = true;                           // b is one matrix for the whole batch
  Shape out_shape;
};

std::string operand_str(const Tensor::shape_type& shape, bool transposed) {
  return shape_str(shape) + (transposed && shape.size() >= 2 ? "^T" : "");
}

// Strides (in matrices) of an operand's batch axes, right-aligned to `rank` axes, with 0 for
// the axes it is broadcast along.
Shape batch_strides(const Tensor::shape_type& shape, std::size_t matrix_axes, std::size_t rank) {
  const std::size_t own = shape.size() - matrix_axes;
  Shape strides(rank, 0);
  std::size_t stride = 1;
  for (std::size_t i = own; i-- > 0;) {
    if (shape[i] != 1) strides[rank - own + i] = stride;
    stride *= shape[i];
  }
  return strides;
}

BatchPlan plan_product(const char* op, const Tensor::shape_type& a, const Tensor::shape_type& b,
                       bool transpose_a, bool transpose_b) {
  const auto cannot = [&](const std::string& why) {
    return ShapeError(std::string(op) + ": cannot multiply " + operand_str(a, transpose_a) +
                      " by " + operand_str(b, transpose_b) + why);
  };
  if (a.empty() || b.empty()) throw cannot(" (a 0-d operand has no matrix axes)");
  BatchPlan plan;
  const bool a_vector = a.size() == 1, b_vector = b.size() == 1;
  plan.transpose_a = transpose_a && !a_vector;
  plan.transpose_b = transpose_b && !b_vector;
  const std::size_t ra = a.size(), rb = b.size();
  plan.m = a_vector ? 1 : a[plan.transpose_a ? ra - 1 : ra - 2];
  plan.k = a_vector ? a[0] : a[plan.transpose_a ? ra - 2 : ra - 1];
  const std::size_t kb = b_vector ? b[0] : b[plan.transpose_b ? rb - 1 : rb - 2];
  plan.n = b_vector ? 1 : b[plan.transpose_b ? rb - 2 : rb - 1];
  if (plan.k != kb) throw cannot("");
  const std::size_t a_matrix = a_vector ? 1 : 2, b_matrix = b_vector ? 1 : 2;
  const std::size_t a_batch = ra - a_matrix, b_batch = rb - b_matrix;
  const std::size_t rank = std::max(a_batch, b_batch);
  plan.batch_shape = Shape(rank, 1);
  for (std::size_t i = 0; i < rank; ++i) {
    const std::size_t ea = i + a_batch < rank ? 1 : a[i + a_batch - rank];
    const std::size_t eb = i + b_batch < rank ? 1 : b[i + b_batch - rank];
    if (ea != eb && ea != 1 && eb != 1)
      throw cannot(": the batch axes " + shape_str(Shape(a.begin(), a.begin() + a_batch)) +
                   " and " + shape_str(Shape(b.begin(), b.begin() + b_batch)) +
                   " do not broadcast");
    plan.batch_shape[i] = std::max(ea, eb);
    plan.batch *= plan.batch_shape[i];
    if (eb != 1) plan.b_shared = false;
  }
  plan.a_strides = batch_strides(a, a_matrix, rank);
  plan.b_strides = batch_strides(b, b_matrix, rank);
  plan.out_shape = plan.batch_shape;
  if (!a_vector) plan.out_shape.push_back(plan.m);
  if (!b_vector) plan.out_shape.push_back(plan.n);
  return plan;
}

// Calls f(t, a_matrix, b_matrix) for every batch element t in row-major order.
template <class F>
void for_each_batch(const BatchPlan& plan, F&& f) {
  const std::size_t rank = plan.batch_shape.size();
  Shape index(rank, 0);
  std::size_t a_matrix = 0, b_matrix = 0;
  for (std::size_t t = 0; t < plan.batch; ++t) {
    f(t, a_matrix, b_matrix);
    for (std::size_t axis = rank; axis-- > 0;) {
      a_matrix += plan.a_strides[axis];
      b_matrix += plan.b_strides[axis];
      if (++index[axis] < plan.batch_shape[axis]) break;
      a_matrix -= plan.a_strides[axis] * index[axis];
      b_matrix -= plan.b_strides[axis] * index[axis];
      index[axis] = 0;
    }
  }
}

// C = op(A) op(B) batch by batch, A: [.., M, K] (or [.., K, M]), B: [.., K, N] (or [.., N, K]):
//   dA += dC op(B)^T   (or op(B) dC^T when A is transposed)
//   dB += op(A)^T dC   (or dC^T op(A) when B is transposed)
// summed over the batch elements that share an operand's matrix (broadcast axes).
Var batched_product(const char* op, const Var& a, const Var& b, bool transpose_a,
                    bool transpose_b) {
  const BatchPlan plan = plan_product(op, a.shape(), b.shape(), transpose_a, transpose_b);
  NodeRecorder rec(op, {a, b});
  Tensor& c = rec.output(plan.out_shape);
  const std::size_t m = plan.m, n = plan.n, k = plan.k;
  const bool ta = plan.transpose_a, tb = plan.transpose_b;
  const float* av = a.value().data();
  const float* bv = b.value().data();
  if (plan.b_shared && !ta) {
    // One shared right matrix: every batch element's rows of A form one [batch * M, K] block.
    gemm_raw(av, false, bv, tb, c.data(), plan.batch * m, n, k, 1.0f, 0.0f);
  } else {
    for_each_batch(plan, [&](std::size_t t, std::size_t ia, std::size_t ib) {
      gemm_raw(av + ia * m * k, ta, bv + ib * k * n, tb, c.data() + t * m * n, m, n, k, 1.0f, 0.0f);
    });
  }
  return rec.finish([op, transpose_a, transpose_b](BackwardContext& ctx) {
    const BatchPlan plan =
        plan_product(op, ctx.input(0).shape(), ctx.input(1).shape(), transpose_a, transpose_b);
    const std::size_t m = plan.m, n = plan.n, k = plan.k;
    const bool ta = plan.transpose_a, tb = plan.transpose_b;
    const float* av = ctx.input(0).data();
    const float* bv = ctx.input(1).data();
    const float* dc = ctx.grad_output().data();
    float* da = ctx.needs_grad(0) ? ctx.grad_input(0).data() : nullptr;
    float* db = ctx.needs_grad(1) ? ctx.grad_input(1).data() : nullptr;
    if (plan.b_shared && !ta) {
      const std::size_t rows = plan.batch * m;
      if (da != nullptr) gemm_raw(dc, false, bv, !tb, da, rows, k, n, 1.0f, 1.0f);
      if (db != nullptr && !tb) gemm_raw(av, true, dc, false, db, k, n, rows, 1.0f, 1.0f);
      if (db != nullptr && tb) gemm_raw(dc, true, av, false, db, n, k, rows, 1.0f, 1.0f);
      return;
    }
    for_each_batch(plan, [&](std::size_t t, std::size_t ia, std::size_t ib) {
      const float* at = av + ia * m * k;
      const float* bt = bv + ib * k * n;
      const float* dct = dc + t * m * n;
      if (da != nullptr) {
        float* dat = da + ia * m * k;
        if (!ta)
          gemm_raw(dct, false, bt, !tb, dat, m, k, n, 1.0f, 1.0f);
        else
          gemm_raw(bt, tb, dct, true, dat, k, m, n, 1.0f, 1.0f);
      }
      if (db != nullptr) {
        float* dbt = db + ib * k * n;
        if (!tb)
          gemm_raw(at, !ta, dct, false, dbt, k, n, m, 1.0f, 1.0f);
        else
          gemm_raw(dct, true, at, ta, dbt, n, k, m, 1.0f, 1.0f);
      }
    });
  });
}

}  // namespace

// C = op(A) op(B), A: [M, K] (or [K, M]), B: [K, N] (or [N, K]) -> C: [M, N]
//   dA += dC op(B)^T   (or op(B) dC^T when A is transposed)
//   dB += op(A)^T dC   (or dC^T op(A) when B is transposed)
Var matmul(const Var& a, const Var& b, bool transpose_a, bool transpose_b) {
  if (a.rank() != 2 || b.rank() != 2)
    return batched_product("matmul", a, b, transpose_a, transpose_b);
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

Var bmm(const Var& a, const Var& b, bool transpose_a, bool transpose_b) {
  if (a.rank() != 3 || b.rank() != 3 || a.dim(0) != b.dim(0))
    throw ShapeError("bmm: expected [N, M, K] and [N, K, P] with the same N, got " +
                     operand_str(a.shape(), transpose_a) + " and " +
                     operand_str(b.shape(), transpose_b));
  return batched_product("bmm", a, b, transpose_a, transpose_b);
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
    // Every row starts as the bias, the rows split over the team (a copy: any split gives the
    // same): a head over all T*B rows of a long sequence (64000 x 32 at the memory-horizon
    // shape) spent 4% of a two-thread inference step on this loop while the other member waited.
    const float* b = bias.value().data();
    float* rows_out = y.data();
    kernels::parallel_for(rows, 1, std::max<std::size_t>(1, 32768 / out),
                          [&](std::size_t r0, std::size_t r1) {
                            for (std::size_t r = r0; r < r1; ++r)
                              std::copy(b, b + out, rows_out + r * out);
                          });
  }
  gemm_raw(x.value().data(), false, weight.value().data(), true, y.data(), rows, out, in, 1.0f,
           has_bias ? 1.0f : 0.0f);
  return rec.finish([has_bias, rows, in, out](BackwardContext& ctx) {
    const float* grad_y = ctx.grad_output().data();
    // A gradient nothing has added to yet is written, not zero-filled and added to: dx of a
    // recurrent layer's output is the size of the sequence (4 MiB at B 32, T 64, H 512).
    if (ctx.needs_grad(0)) {
      Tensor* fresh = ctx.grad_input_to_overwrite(0);
      gemm_raw(grad_y, false, ctx.input(1).data(), false,
               fresh ? fresh->data() : ctx.grad_input(0).data(), rows, in, out, 1.0f,
               fresh ? 0.0f : 1.0f);
    }
    if (ctx.needs_grad(1)) {
      Tensor* fresh = ctx.grad_input_to_overwrite(1);
      gemm_raw(grad_y, true, ctx.input(0).data(), false,
               fresh ? fresh->data() : ctx.grad_input(1).data(), out, in, rows, 1.0f,
               fresh ? 0.0f : 1.0f);
    }
    if (has_bias && ctx.needs_grad(2)) {
      // Each column summed over the rows in order, the columns split over the team: the same
      // sums on any number of threads.
      float* grad_b = ctx.grad_input(2).data();
      const std::size_t fewest = std::max<std::size_t>(1, 65536 / std::max<std::size_t>(rows, 1));
      kernels::parallel_for(out, 16, fewest, [&](std::size_t o0, std::size_t o1) {
        for (std::size_t r = 0; r < rows; ++r)
          for (std::size_t o = o0; o < o1; ++o) grad_b[o] += grad_y[r * out + o];
      });
    }
  });
}

}  // namespace recur
