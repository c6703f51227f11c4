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

/// x w^T + bias, the affine map of torch.nn.Linear, in one GEMM. As in PyTorch, x may have any
/// number of leading axes: a [T, B, in] sequence is multiplied as T*B rows in place, with no
/// reshape (and no copy) before or after.
/// @param x The input [..., in], at least 1-D.
/// @param weight The weight [out, in], PyTorch's layout.
/// @param bias [out], or an empty Var for none.
/// @return [..., out]: x's shape with its last extent replaced by out.
/// @throws recur::ShapeError if x is 0-D, weight is not 2-D, x's last extent is not the weight's
///         `in`, or the bias's length is not its `out`.
Var linear(const Var& x, const Var& weight, const Var& bias = Var());

}  // namespace recur
