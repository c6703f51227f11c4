// The one file that includes OpenBLAS's <cblas.h>: it must stay free of xtensor-blas, whose own
// cblas prototypes conflict with OpenBLAS's.
#include "core/gemm.hpp"

#include <cblas.h>

#include "core/error.hpp"

namespace recur {

void gemm_raw(const float* a, bool transpose_a, const float* b, bool transpose_b, float* c,
              std::size_t m, std::size_t n, std::size_t k, float alpha, float beta) {
  if (m == 0 || n == 0) return;
  if (k == 0) {
    // BLAS leaves C untouched when k is 0; the product of empty matrices is zero.
    for (std::size_t i = 0; i < m * n; ++i) c[i] = beta == 0.0f ? 0.0f : beta * c[i];
    return;
  }
  const auto M = static_cast<blasint>(m), N = static_cast<blasint>(n), K = static_cast<blasint>(k);
  const blasint lda = transpose_a ? M : K;
  const blasint ldb = transpose_b ? K : N;
  if (m == 1 && !transpose_a) {
    // A single row: y = alpha * op(B)^T a + beta * c through gemv, ~5x faster than sgemm at M = 1.
    cblas_sgemv(CblasRowMajor, transpose_b ? CblasNoTrans : CblasTrans, transpose_b ? N : K,
                transpose_b ? K : N, alpha, b, ldb, a, 1, beta, c, 1);
    return;
  }
  cblas_sgemm(CblasRowMajor, transpose_a ? CblasTrans : CblasNoTrans,
              transpose_b ? CblasTrans : CblasNoTrans, M, N, K, alpha, a, lda, b, ldb, beta, c, N);
}

void gemm_strided(const float* a, std::size_t lda, bool transpose_a, const float* b,
                  std::size_t ldb, bool transpose_b, float* c, std::size_t ldc, std::size_t m,
                  std::size_t n, std::size_t k, float alpha, float beta) {
  if (m == 0 || n == 0) return;
  if (k == 0) {
    for (std::size_t i = 0; i < m; ++i)
      for (std::size_t j = 0; j < n; ++j)
        c[i * ldc + j] = beta == 0.0f ? 0.0f : beta * c[i * ldc + j];
    return;
  }
  cblas_sgemm(CblasRowMajor, transpose_a ? CblasTrans : CblasNoTrans,
              transpose_b ? CblasTrans : CblasNoTrans, static_cast<blasint>(m),
              static_cast<blasint>(n), static_cast<blasint>(k), alpha, a,
              static_cast<blasint>(lda), b, static_cast<blasint>(ldb), beta, c,
              static_cast<blasint>(ldc));
}

void gemm(const Tensor& a, bool transpose_a, const Tensor& b, bool transpose_b, Tensor& c,
          float alpha, float beta, const char* op) {
  if (a.dimension() != 2 || b.dimension() != 2 || c.dimension() != 2)
    throw ShapeError(std::string(op) + ": expected 2-D operands, got " + shape_str(a.shape()) +
                     ", " + shape_str(b.shape()) + " and result " + shape_str(c.shape()));
  const std::size_t m = transpose_a ? a.shape(1) : a.shape(0);
  const std::size_t k = transpose_a ? a.shape(0) : a.shape(1);
  const std::size_t kb = transpose_b ? b.shape(1) : b.shape(0);
  const std::size_t n = transpose_b ? b.shape(0) : b.shape(1);
  if (k != kb)
    throw ShapeError(std::string(op) + ": cannot multiply " + shape_str(a.shape()) +
                     (transpose_a ? "^T" : "") + " by " + shape_str(b.shape()) +
                     (transpose_b ? "^T" : ""));
  if (c.shape(0) != m || c.shape(1) != n)
    throw ShapeError(std::string(op) + ": the result should be [" + std::to_string(m) + ", " +
                     std::to_string(n) + "] but is " + shape_str(c.shape()));
  gemm_raw(a.data(), transpose_a, b.data(), transpose_b, c.data(), m, n, k, alpha, beta);
}

void set_num_threads(int threads) {
  if (threads < 1) throw ValueError("set_num_threads: need at least 1 thread, got " + std::to_string(threads));
  openblas_set_num_threads(threads);
}

int num_threads() { return openblas_get_num_threads(); }

}  // namespace recur
