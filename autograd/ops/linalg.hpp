/// @file
/// Linear algebra ops: matrix products (single and batched) through GEMM, with transposes
/// passed as flags.
#pragma once

#include "autograd/var.hpp"

namespace recur {

/// op(a) * op(b), with the semantics of torch.matmul, where op transposes the last two axes
/// when the flag is set. The transpose is a BLAS flag, not a copy: `matmul(x, w, false, true)`
/// is x w^T at the cost of x w.
/// - 2-D by 2-D: the matrix product [M, K] x [K, N] -> [M, N].
/// - Either operand of rank >= 3: a batch of products over the leading axes, which broadcast
///   as in NumPy ([2, 1, M, K] x [3, K, N] -> [2, 3, M, N]); a 2-D operand is one matrix shared
///   by the whole batch (then the batch is a single GEMM). One GEMM per batch element otherwise.
/// - A 1-D operand is a vector: [K] on the left acts as [1, K], on the right as [K, 1], and that
///   axis is removed from the result (1-D by 1-D is the dot product, 0-d). Its flag is ignored.
/// @param a [..., M, K] ([..., K, M] with transpose_a), or [K].
/// @param b [..., K, N] ([..., N, K] with transpose_b), or [K].
/// @param transpose_a, transpose_b Use the operand with its last two axes swapped.
/// @return [broadcast batch..., M, N], less the axes of 1-D operands.
/// @throws recur::ShapeError if an operand is 0-d, the inner extents differ (`matmul: cannot
///         multiply [32, 64] by [128, 256]`) or the batch axes do not broadcast.
/// @code
/// recur::Var h = recur::matmul(x, tape.parameter(w), false, true);   // [B, I] x [H, I]^T
/// recur::Var scores = recur::matmul(q, k, false, true);              // [B, T, D] x [B, S, D]^T
/// @endcode
Var matmul(const Var& a, const Var& b, bool transpose_a = false, bool transpose_b = false);

/// Batched matrix product of two 3-D values, as torch.bmm: [N, M, K] x [N, K, P] -> [N, M, P],
/// one GEMM per batch element, transposes of the last two axes passed as flags (never copied).
/// Unlike matmul, the batch extents must be equal (no broadcasting).
/// @param a [N, M, K] ([N, K, M] with transpose_a). @param b [N, K, P] ([N, P, K] with
///        transpose_b).
/// @param transpose_a, transpose_b Use the operand with its last two axes swapped.
/// @return [N, M, P].
/// @throws recur::ShapeError if an operand is not 3-D, the batch extents differ or the inner
///         extents differ.
Var bmm(const Var& a, const Var& b, bool transpose_a = false, bool transpose_b = false);

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
