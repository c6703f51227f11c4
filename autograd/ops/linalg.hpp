/// @file
/// Linear algebra ops: matrix products through GEMM, with transposes passed as flags.
#pragma once

#include "autograd/var.hpp"

namespace recur {

/// op(a) * op(b) for 2-D a and b, where op transposes when the flag is set. The transpose is a
/// BLAS flag, not a copy: `matmul(x, w, false, true)` is x w^T at the cost of x w.
/// @param a A matrix [M, K] ([K, M] with transpose_a).
/// @param b A matrix [K, N] ([N, K] with transpose_b).
/// @param transpose_a, transpose_b Use the operand transposed.
/// @return [M, N].
/// @throws recur::ShapeError if an operand is not 2-D or the inner extents differ: `matmul: cannot
///         multiply [32, 64] by [128, 256]`.
/// @code
/// recur::Var h = recur::matmul(x, tape.parameter(w), false, true);   // [B, I] x [H, I]^T
/// @endcode
Var matmul(const Var& a, const Var& b, bool transpose_a = false, bool transpose_b = false);

/// x w^T + bias, the affine map of torch.nn.Linear, in one GEMM.
/// @param x The input [N, in].
/// @param weight The weight [out, in], PyTorch's layout.
/// @param bias [out], or an empty Var for none.
/// @return [N, out].
/// @throws recur::ShapeError if x or weight is not 2-D, or their `in` extents or the bias's length
///         do not match the weight.
Var linear(const Var& x, const Var& weight, const Var& bias = Var());

}  // namespace recur
