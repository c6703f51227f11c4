/// @file
/// Matrix products through OpenBLAS, writing into a result that already exists.
#pragma once

#include <cstddef>

#include "core/tensor.hpp"

namespace recur {

/// C = alpha * op(A) * op(B) + beta * C, where op(X) is X or its transpose.
///
/// A, B and C are contiguous row-major 2-D tensors; C must already have the result's shape
/// (nothing is allocated). Transposes are passed to BLAS as flags, never materialised, and
/// `beta = 1` accumulates, so a backward rule adds `dW += dY^T X` in one call:
/// @code
/// recur::gemm(grad_y, true, x, false, grad_w, 1.0f, 1.0f);
/// @endcode
/// @throws recur::ShapeError naming `op` and the shapes when they do not fit.
void gemm(const Tensor& a, bool transpose_a, const Tensor& b, bool transpose_b, Tensor& c,
          float alpha = 1.0f, float beta = 0.0f, const char* op = "gemm");

/// The same product on raw row-major buffers: A is [m, k] (or [k, m] when transposed), B is
/// [k, n] (or [n, k]), C is [m, n]. No checks; for kernels that slice pooled memory.
void gemm_raw(const float* a, bool transpose_a, const float* b, bool transpose_b, float* c,
              std::size_t m, std::size_t n, std::size_t k, float alpha, float beta);

/// gemm_raw() on blocks of larger matrices: lda, ldb and ldc are the row strides (in floats) of
/// A, B and C as stored, so a product can read or write a column block in place (the weight
/// gradient of one fed-back state within a recurrent weight [G, R * H]). No checks.
void gemm_strided(const float* a, std::size_t lda, bool transpose_a, const float* b,
                  std::size_t ldb, bool transpose_b, float* c, std::size_t ldc, std::size_t m,
                  std::size_t n, std::size_t k, float alpha, float beta);

/// Sets how many threads OpenBLAS uses (it ignores torch's or OpenMP's settings).
void set_num_threads(int threads);

/// How many threads OpenBLAS uses.
int num_threads();

}  // namespace recur
