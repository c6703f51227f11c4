// C = A op(B) with op(B) packed in 16-column panels. The kernel keeps a block of up to 6 rows x
// 16 columns of C in 12 AVX registers for the whole inner loop (the classic 6x16 FMA block: per
// k, two panel loads, six broadcasts of A, twelve FMAs), so C is read and written once per
// product and A is streamed straight from its row-major rows without packing.
#include "layers/packed_gemm.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define RECUR_PACKED_AVX2 1
#endif

namespace recur::nn::detail {
namespace {

constexpr std::size_t kPanel = 16;  // columns per panel
constexpr std::size_t kRows = 6;    // rows of C per kernel call

#ifdef RECUR_PACKED_AVX2

// C[rows, width] = A[rows, k] * panel[k, 16] (+ D[rows, width] when `d` is set; D and C share
// the row stride ldc and may be the same memory), width <= 16 valid columns.
template <std::size_t Rows>
void block(const float* a, std::size_t lda, const float* panel, std::size_t k, const float* d,
           float* c, std::size_t ldc, std::size_t width) {
  __m256 lo[Rows], hi[Rows];
#pragma GCC unroll 6
  for (std::size_t i = 0; i < Rows; ++i) lo[i] = hi[i] = _mm256_setzero_ps();
#pragma GCC unroll 2
  for (std::size_t p = 0; p < k; ++p) {
    const __m256 b0 = _mm256_load_ps(panel + p * kPanel);
    const __m256 b1 = _mm256_load_ps(panel + p * kPanel + 8);
#pragma GCC unroll 6  // the accumulators must stay in registers
    for (std::size_t i = 0; i < Rows; ++i) {
      const __m256 x = _mm256_broadcast_ss(a + i * lda + p);
      lo[i] = _mm256_fmadd_ps(x, b0, lo[i]);
      hi[i] = _mm256_fmadd_ps(x, b1, hi[i]);
    }
  }
  if (width == kPanel) {
#pragma GCC unroll 6
    for (std::size_t i = 0; i < Rows; ++i) {
      float* row = c + i * ldc;
      if (d) {
        lo[i] = _mm256_add_ps(lo[i], _mm256_loadu_ps(d + i * ldc));
        hi[i] = _mm256_add_ps(hi[i], _mm256_loadu_ps(d + i * ldc + 8));
      }
      _mm256_storeu_ps(row, lo[i]);
      _mm256_storeu_ps(row + 8, hi[i]);
    }
    return;
  }
  alignas(32) float tile[kPanel];
#pragma GCC unroll 6
  for (std::size_t i = 0; i < Rows; ++i) {
    _mm256_store_ps(tile, lo[i]);
    _mm256_store_ps(tile + 8, hi[i]);
    float* row = c + i * ldc;
    for (std::size_t j = 0; j < width; ++j) row[j] = d ? d[i * ldc + j] + tile[j] : tile[j];
  }
}

#else

// Portable fallback on the same layout (builds without AVX2/FMA, e.g. -march=x86-64).
template <std::size_t Rows>
void block(const float* a, std::size_t lda, const float* panel, std::size_t k, const float* d,
           float* c, std::size_t ldc, std::size_t width) {
  float acc[Rows][kPanel] = {};
  for (std::size_t p = 0; p < k; ++p)
    for (std::size_t i = 0; i < Rows; ++i)
      for (std::size_t j = 0; j < kPanel; ++j) acc[i][j] += a[i * lda + p] * panel[p * kPanel + j];
  for (std::size_t i = 0; i < Rows; ++i)
    for (std::size_t j = 0; j < width; ++j)
      c[i * ldc + j] = d ? d[i * ldc + j] + acc[i][j] : acc[i][j];
}

#endif

using BlockFn = void (*)(const float*, std::size_t, const float*, std::size_t, const float*,
                         float*, std::size_t, std::size_t);
constexpr BlockFn kBlocks[kRows + 1] = {nullptr,  &block<1>, &block<2>, &block<3>,
                                        &block<4>, &block<5>, &block<6>};

}  // namespace

void PackedRight::pack(const float* b, bool transpose, std::size_t k, std::size_t n) {
  k_ = k;
  n_ = n;
  const std::size_t panels = (n + kPanel - 1) / kPanel;
  const std::size_t needed = panels * k * kPanel + 8;
  if (storage_.size() < needed) storage_.resize(needed);
  // Align the first panel to 32 bytes (every panel is a multiple of 64 bytes long).
  const auto address = reinterpret_cast<std::uintptr_t>(storage_.data());
  panels_ = storage_.data() + ((32 - address % 32) % 32) / sizeof(float);
  for (std::size_t q = 0; q < panels; ++q) {
    float* panel = panels_ + q * k * kPanel;
    const std::size_t first = q * kPanel, width = std::min(kPanel, n - first);
    for (std::size_t p = 0; p < k; ++p) {
      float* row = panel + p * kPanel;
      if (transpose) {
        for (std::size_t j = 0; j < width; ++j) row[j] = b[(first + j) * k + p];
      } else {
        std::memcpy(row, b + p * n + first, width * sizeof(float));
      }
      std::fill(row + width, row + kPanel, 0.0f);
    }
  }
}

void PackedRight::multiply(const float* a, std::size_t m, float* c, bool accumulate) const {
  multiply_add(a, m, accumulate ? c : nullptr, c);
}

void PackedRight::multiply_add(const float* a, std::size_t m, const float* d, float* c) const {
  const std::size_t panels = (n_ + kPanel - 1) / kPanel;
  // Blocks of 6 rows, or of 4 when that divides m and 6 does not (a 2-row tail has too few
  // accumulators to hide the FMA latency).
  const std::size_t rows = (m % kRows != 0 && m % 4 == 0) ? 4 : kRows;
  const BlockFn body = rows == 4 ? &block<4> : &block<kRows>;
  const std::size_t full = m / rows * rows, rest = m - full;
  // Panel-major: one panel (k x 16 floats) stays in L1 while every row block passes over it.
  for (std::size_t q = 0; q < panels; ++q) {
    const float* panel = panels_ + q * k_ * kPanel;
    const std::size_t first = q * kPanel, width = std::min(kPanel, n_ - first);
    const auto at = [&](std::size_t row) { return d ? d + row * n_ + first : nullptr; };
    for (std::size_t i = 0; i < full; i += rows)
      body(a + i * k_, k_, panel, k_, at(i), c + i * n_ + first, n_, width);
    if (rest) kBlocks[rest](a + full * k_, k_, panel, k_, at(full), c + full * n_ + first, n_, width);
  }
}

}  // namespace recur::nn::detail
