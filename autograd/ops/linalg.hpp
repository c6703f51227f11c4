/// @file
/// Linear algebra ops: matrix products through GEMM, with transposes passed as flags.
#pragma once

#include "autograd/var.hpp"

namespace recur {

/// op(a) * op(b) for 2-D a and b, where op transposes when the flag is set. The transpose is a
/// BLAS flag, not a copy: `matmul(x, w, false, true)` is x w^T at the cost of x w.
/// Throws recur::ShapeError: `matmul: cannot multiply [32, 64] by [128, 256]`.
Var matmul(const Var& a, const Var& b, bool transpose_a = false, bool transpose_b = false);

/// x w^T + bias, the affine map of torch.nn.Linear, in one GEMM: x is [N, in], w is [out, in],
/// bias is [out] (or an empty Var for none); the result is [N, out].
Var linear(const Var& x, const Var& weight, const Var& bias = Var());

}  // namespace recur
