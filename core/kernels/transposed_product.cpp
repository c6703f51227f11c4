// C += A^T B in tiles of up to 6 rows x 16 columns of C held in 12 AVX registers
// (core/kernels/fma_tile.hpp): per k, two loads of B's row, six broadcasts of A's row (the
// tile's rows of C are consecutive columns of A, so their values sit side by side), twelve FMAs.
// C is read and written once per call; a last tile narrower than 16 columns uses masked loads
// and stores. On a CPU with AVX-512 (wide_kernels()) tiles of up to 12 rows x 32 columns run in
// its registers instead, with bitwise the same results.
#include "core/kernels/transposed_product.hpp"

#include <algorithm>
#include <array>

#include "core/kernels/fma_tile.hpp"
#include "core/kernels/packed_product.hpp"

namespace recur::kernels {
namespace {

constexpr std::size_t kWidth = kTileWidth;  // columns of C per tile
constexpr std::size_t kRows = kTileRows;    // rows of C per tile

struct Tile {
  const float* a;  // A's column of the tile's first row of C
  std::size_t lda;
  const float* b;  // B's column of the tile's first column
  std::size_t ldb, k;
  float* c;
  std::size_t ldc, width;  // width <= 16 valid columns
};

#ifdef RECUR_KERNELS_AVX2

// Lanes below `count` (clamped to 0..8) on, for masked loads and stores.
__m256i lanes_below(std::ptrdiff_t count) {
  const __m256i index = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const auto clamped = static_cast<int>(std::clamp<std::ptrdiff_t>(count, 0, 8));
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(clamped), index);
}

template <std::size_t Rows, bool Partial>
void tile(const Tile& t) {
  const auto width = static_cast<std::ptrdiff_t>(t.width);
  const __m256i mask_lo = Partial ? lanes_below(width) : __m256i{};
  const __m256i mask_hi = Partial ? lanes_below(width - 8) : __m256i{};
  const auto load = [&](const float* p, bool high) {
    if constexpr (Partial) return _mm256_maskload_ps(p, high ? mask_hi : mask_lo);
    else return _mm256_loadu_ps(p);
  };
  __m256 lo[Rows], hi[Rows];
#pragma GCC unroll 6
  for (std::size_t i = 0; i < Rows; ++i) {
    lo[i] = load(t.c + i * t.ldc, false);
    hi[i] = load(t.c + i * t.ldc + 8, true);
  }
  fma_tile<Rows>(
      t.k, [&](std::size_t i, std::size_t p) { return t.a + p * t.lda + i; },
      [&](std::size_t p, int half) { return load(t.b + p * t.ldb + 8 * half, half == 1); }, lo,
      hi);
#pragma GCC unroll 6
  for (std::size_t i = 0; i < Rows; ++i) {
    if constexpr (Partial) {
      _mm256_maskstore_ps(t.c + i * t.ldc, mask_lo, lo[i]);
      _mm256_maskstore_ps(t.c + i * t.ldc + 8, mask_hi, hi[i]);
    } else {
      _mm256_storeu_ps(t.c + i * t.ldc, lo[i]);
      _mm256_storeu_ps(t.c + i * t.ldc + 8, hi[i]);
    }
  }
}

#if defined(__x86_64__)
// tile() in AVX-512 registers, on CPUs that have them (recur is built for AVX2): up to 12 rows of
// C by 16 * Halves columns, one 16-wide register per row and half, each element the same FMA
// chain over k in order from C's value, so the result is bitwise tile()'s. t.width is the valid
// columns of the whole tile (up to 16 * Halves); loads and stores past it are masked off.
template <std::size_t Rows, std::size_t Halves>
[[gnu::target("avx512f")]] void wide_tile(const Tile& t) {
  __mmask16 mask[Halves];
#pragma GCC unroll 2
  for (std::size_t h = 0; h < Halves; ++h) {
    const std::size_t valid = std::min<std::size_t>(16, t.width - std::min(t.width, 16 * h));
    mask[h] = valid == 16 ? __mmask16(0xFFFF) : __mmask16((1u << valid) - 1u);
  }
  __m512 acc[Rows][Halves];
#pragma GCC unroll 12
  for (std::size_t i = 0; i < Rows; ++i)
#pragma GCC unroll 2
    for (std::size_t h = 0; h < Halves; ++h)
      acc[i][h] = _mm512_maskz_loadu_ps(mask[h], t.c + i * t.ldc + 16 * h);
  for (std::size_t p = 0; p < t.k; ++p) {
    __m512 b[Halves];
#pragma GCC unroll 2
    for (std::size_t h = 0; h < Halves; ++h)
      b[h] = _mm512_maskz_loadu_ps(mask[h], t.b + p * t.ldb + 16 * h);
    const float* a = t.a + p * t.lda;
#pragma GCC unroll 12
    for (std::size_t i = 0; i < Rows; ++i) {
      const __m512 x = _mm512_set1_ps(a[i]);
#pragma GCC unroll 2
      for (std::size_t h = 0; h < Halves; ++h) acc[i][h] = _mm512_fmadd_ps(x, b[h], acc[i][h]);
    }
  }
#pragma GCC unroll 12
  for (std::size_t i = 0; i < Rows; ++i)
#pragma GCC unroll 2
    for (std::size_t h = 0; h < Halves; ++h)
      _mm512_mask_storeu_ps(t.c + i * t.ldc + 16 * h, mask[h], acc[i][h]);
}
#define RECUR_KERNELS_AVX512 1
#endif

#else

// Portable fallback (builds without AVX2/FMA).
template <std::size_t Rows, bool Partial>
void tile(const Tile& t) {
  for (std::size_t p = 0; p < t.k; ++p)
    for (std::size_t i = 0; i < Rows; ++i)
      for (std::size_t j = 0; j < t.width; ++j)
        t.c[i * t.ldc + j] += t.a[p * t.lda + i] * t.b[p * t.ldb + j];
}

#endif

using TileFn = void (*)(const Tile&);
constexpr TileFn kFull[kRows + 1] = {nullptr, &tile<1, false>, &tile<2, false>, &tile<3, false>,
                                     &tile<4, false>, &tile<5, false>, &tile<6, false>};
constexpr TileFn kPartial[kRows + 1] = {nullptr, &tile<1, true>, &tile<2, true>, &tile<3, true>,
                                        &tile<4, true>, &tile<5, true>, &tile<6, true>};

#ifdef RECUR_KERNELS_AVX512
constexpr std::size_t kWideRows = 12;  // rows of C per wide_tile() call
template <std::size_t Halves>
constexpr std::array<TileFn, kWideRows + 1> wide_tiles() {
  return {nullptr,
          &wide_tile<1, Halves>, &wide_tile<2, Halves>, &wide_tile<3, Halves>,
          &wide_tile<4, Halves>, &wide_tile<5, Halves>, &wide_tile<6, Halves>,
          &wide_tile<7, Halves>, &wide_tile<8, Halves>, &wide_tile<9, Halves>,
          &wide_tile<10, Halves>, &wide_tile<11, Halves>, &wide_tile<12, Halves>};
}
constexpr std::array<TileFn, kWideRows + 1> kWide[2] = {wide_tiles<1>(), wide_tiles<2>()};

// add_transposed_product() in tiles of up to 12 rows by 32 columns, in the same two orders.
void add_wide(const float* a, std::size_t lda, const float* b, std::size_t ldb, std::size_t k,
              std::size_t m, std::size_t n, float* c, std::size_t ldc) {
  const auto run = [&](std::size_t i, std::size_t rows, std::size_t j) {
    const std::size_t width = std::min(2 * kWidth, n - j);
    kWide[width > kWidth ? 1 : 0][rows](Tile{a + i, lda, b + j, ldb, k, c + i * ldc + j, ldc,
                                             width});
  };
  if (n <= m) {
    for_each_row_tile(
        m,
        [&](std::size_t i, std::size_t rows) {
          for (std::size_t j = 0; j < n; j += 2 * kWidth) run(i, rows, j);
        },
        kWideRows);
    return;
  }
  for (std::size_t j = 0; j < n; j += 2 * kWidth)
    for_each_row_tile(m, [&](std::size_t i, std::size_t rows) { run(i, rows, j); }, kWideRows);
}
#endif

}  // namespace

void add_transposed_product(const float* a, std::size_t lda, const float* b, std::size_t ldb,
                            std::size_t k, std::size_t m, std::size_t n, float* c,
                            std::size_t ldc) {
#ifdef RECUR_KERNELS_AVX512
  if (wide_kernels()) {
    add_wide(a, lda, b, ldb, k, m, n, c, ldc);
    return;
  }
#endif
  const auto run = [&](std::size_t i, std::size_t rows, std::size_t j) {
    const std::size_t width = std::min(kWidth, n - j);
    (width == kWidth ? kFull : kPartial)[rows](
        Tile{a + i, lda, b + j, ldb, k, c + i * ldc + j, ldc, width});
  };
  // A tile reads k lines of A (its 6 columns) and k lines of B (16 columns). The narrower of the
  // two operands is the one that goes round again for every tile of the other, so that it stays
  // in L1: B when it has no more columns than C has rows (a step's weight gradient: n = I or H,
  // m = the member's gates), otherwise A. Every tile sums its own k in order either way.
  if (n <= m) {
    for_each_row_tile(m, [&](std::size_t i, std::size_t rows) {
      for (std::size_t j = 0; j < n; j += kWidth) run(i, rows, j);
    });
    return;
  }
  for (std::size_t j = 0; j < n; j += kWidth)
    for_each_row_tile(m, [&](std::size_t i, std::size_t rows) { run(i, rows, j); });
}

}  // namespace recur::kernels
