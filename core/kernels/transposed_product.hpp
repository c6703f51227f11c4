/// @file
/// C += A^T B for the weight gradients of one recurrent step: dW_hh += dG_t^T h_{t-1} and
/// dW_ih += dG_t^T x_t, with dG_t [B, G] as A. When the weight gradient fits in L2 (the small
/// layers of long sequences), adding it up step by step while dG_t is still in cache beats one
/// big GEMM over all T*B rows at the end: that GEMM makes OpenBLAS copy (pack) the whole
/// [T*B, G] dG once per weight, and needs dG kept for every step. No operand is packed here.
/// tests/core/transposed_product_test.cpp compares it with gemm_raw on every block edge.
/// Internal to the library; not installed.
#pragma once

#include <cstddef>

namespace recur::kernels {

/// C[m, n] += A^T B, where A is [k, m] with row stride `lda`, B is [k, n] with row stride `ldb`
/// and C has row stride `ldc` (all row-major floats, strides in floats).
void add_transposed_product(const float* a, std::size_t lda, const float* b, std::size_t ldb,
                            std::size_t k, std::size_t m, std::size_t n, float* c,
                            std::size_t ldc);

}  // namespace recur::kernels
