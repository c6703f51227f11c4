// The one file that includes OpenBLAS's <cblas.h>: it must stay free of xtensor-blas, whose own
// cblas prototypes conflict with OpenBLAS's.
#include "core/gemm.hpp"

#include <algorithm>
#include <atomic>

#include <cblas.h>

#include "core/error.hpp"
#include "core/kernels/team.hpp"

namespace recur {

namespace {

// Products at least this large (m * n * k) are split over recur's thread team.
constexpr std::size_t kSplitWork = std::size_t{1} << 21;

// The blocks a split product's longer side is cut into: six, which share evenly between 1, 2 or
// 3 members, when each block keeps 160 rows or more; else two. Every block is an OpenBLAS call
// that packs the whole other operand again, so narrow blocks cost: one thread, k 2048, a
// 256 x 256 result ran at 99 GFLOP/s as one call, 95 as two blocks and 86 as six; 768 x 256 at
// 99 as two and 91 as six; 1024 x 256 at 94-100 either way.
std::size_t split_blocks(std::size_t length) { return length >= 6 * 160 ? 6 : 2; }

// One OpenBLAS call on blocks of larger matrices (strides in floats), single-threaded: recur's
// team does the splitting (core/threads.hpp).
// `gemv` allows the single-row path, which sums in another order than sgemm: only a product
// that is one row as a whole may take it, never one block of a split product.
void blas_call(const float* a, std::size_t lda, bool transpose_a, const float* b,
               std::size_t ldb, bool transpose_b, float* c, std::size_t ldc, std::size_t m,
               std::size_t n, std::size_t k, float alpha, float beta, bool gemv) {
  if (m == 0 || n == 0) return;
  if (k == 0) {
    // BLAS leaves C untouched when k is 0; the product of empty matrices is zero.
    for (std::size_t i = 0; i < m; ++i)
      for (std::size_t j = 0; j < n; ++j)
        c[i * ldc + j] = beta == 0.0f ? 0.0f : beta * c[i * ldc + j];
    return;
  }
  if (gemv && m == 1 && !transpose_a) {
    // A single row: y = alpha * op(B)^T a + beta * c through gemv, ~5x faster than sgemm at M = 1.
    // With beta 0, C may hold anything (an unwritten gradient buffer): gemv scales it by 0,
    // which would keep a NaN, where sgemm ignores C.
    if (beta == 0.0f) std::fill_n(c, n, 0.0f);
    cblas_sgemv(CblasRowMajor, transpose_b ? CblasNoTrans : CblasTrans,
                static_cast<blasint>(transpose_b ? n : k),
                static_cast<blasint>(transpose_b ? k : n), alpha, b, static_cast<blasint>(ldb), a,
                1, beta, c, 1);
    return;
  }
  cblas_sgemm(CblasRowMajor, transpose_a ? CblasTrans : CblasNoTrans,
              transpose_b ? CblasTrans : CblasNoTrans, static_cast<blasint>(m),
              static_cast<blasint>(n), static_cast<blasint>(k), alpha, a,
              static_cast<blasint>(lda), b, static_cast<blasint>(ldb), beta, c,
              static_cast<blasint>(ldc));
}

}  // namespace

void gemm_strided(const float* a, std::size_t lda, bool transpose_a, const float* b,
                  std::size_t ldb, bool transpose_b, float* c, std::size_t ldc, std::size_t m,
                  std::size_t n, std::size_t k, float alpha, float beta) {
  // A large product is always cut into the same blocks of C's rows (or columns, when C is
  // wider than tall) for its shape, whatever the thread count, and the team's members take whole
  // blocks: OpenBLAS's result for an element depends on how the product around it is blocked
  // (its AVX2 kernels differ in the last bits between one 1024-row call and two 512-row calls),
  // so only a split that does not depend on the thread count gives bitwise the same results on
  // any number of threads.
  const bool by_rows = m >= n;
  const std::size_t length = by_rows ? m : n;
  const std::size_t blocks = split_blocks(length);
  if (m * n * k < kSplitWork || length < blocks * 16) {
    blas_call(a, lda, transpose_a, b, ldb, transpose_b, c, ldc, m, n, k, alpha, beta, true);
    return;
  }
  const auto block = [&](std::size_t index) {
    const std::size_t begin = length * index / blocks / 16 * 16;
    const std::size_t end = index + 1 == blocks ? length : length * (index + 1) / blocks / 16 * 16;
    if (by_rows) {
      const float* a_rows = transpose_a ? a + begin : a + begin * lda;
      blas_call(a_rows, lda, transpose_a, b, ldb, transpose_b, c + begin * ldc, ldc, end - begin,
                n, k, alpha, beta, false);
    } else {
      const float* b_columns = transpose_b ? b + begin * ldb : b + begin;
      blas_call(a, lda, transpose_a, b_columns, ldb, transpose_b, c + begin, ldc, m, end - begin,
                k, alpha, beta, false);
    }
  };
  // Each member takes the next block not yet taken, so a member on a faster core takes more of
  // them: this host's two vCPUs ran the same work up to 1.3x apart for minutes at a time
  // (docs/performance.md). A block's result does not depend on which member computes it.
  std::atomic<std::size_t> next{0};
  kernels::run_team(kernels::available_threads(), [&](const kernels::TeamMember&) {
    for (std::size_t index = next.fetch_add(1, std::memory_order_relaxed); index < blocks;
         index = next.fetch_add(1, std::memory_order_relaxed))
      block(index);
  });
}

void gemm_raw(const float* a, bool transpose_a, const float* b, bool transpose_b, float* c,
              std::size_t m, std::size_t n, std::size_t k, float alpha, float beta) {
  gemm_strided(a, transpose_a ? m : k, transpose_a, b, transpose_b ? k : n, transpose_b, c, n, m,
               n, k, alpha, beta);
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

std::string blas_core() {
  const char* name = openblas_get_corename();
  return name ? name : "";
}

}  // namespace recur
