// The register tile both matrix kernels are built on (packed_product.cpp, transposed_product.cpp):
// a block of up to 6 rows x 16 columns of C held in 12 AVX registers while the inner dimension
// runs, two loads of B's row and six broadcasts of A per step of k, twelve FMAs. The two kernels
// differ only in where A's elements and B's rows are, which the caller passes as functions.
// Internal to the library; not installed.
#pragma once

#include <cstddef>

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define RECUR_KERNELS_AVX2 1
#endif

namespace recur::kernels {

inline constexpr std::size_t kTileWidth = 16;  // columns of C per tile (two AVX registers)
inline constexpr std::size_t kTileRows = 6;    // rows of C per tile

/// How a kernel cuts m rows of C into tiles: `six` tiles of 6 rows, then `tail[0]` and
/// `tail[1]` rows (0: no tile). A tail of 1 or 2 rows has too few accumulators to hide the FMA
/// latency, so it joins the last 6-row tile as tiles of 4 and 3 or 4 and 4 (m = 32: 6 6 6 6 4 4;
/// 16: 6 6 4; 13: 6 4 3; 128: twenty 6s, 4 4).
struct RowTiles {
  std::size_t six;
  std::size_t tail[2];
};
inline RowTiles row_tiles(std::size_t m) {
  RowTiles tiles{m / kTileRows, {m % kTileRows, 0}};
  if (tiles.six > 0 && (tiles.tail[0] == 1 || tiles.tail[0] == 2)) {
    --tiles.six;
    tiles.tail[1] = tiles.tail[0] + 2;
    tiles.tail[0] = 4;
  }
  return tiles;
}

#ifdef RECUR_KERNELS_AVX2

/// lo[i], hi[i] += sum_p A(i, p) * B(p, 0:16) for p < k, i < Rows: `a_at(i, p)` is the address
/// of A(i, p), `load_b(p, half)` loads B(p, 8 * half : 8 * half + 8).
template <std::size_t Rows, class AddressOfA, class LoadB>
[[gnu::always_inline]] inline void fma_tile(std::size_t k, AddressOfA a_at, LoadB load_b,
                                            __m256 (&lo)[Rows], __m256 (&hi)[Rows]) {
#pragma GCC unroll 2
  for (std::size_t p = 0; p < k; ++p) {
    const __m256 b0 = load_b(p, 0);
    const __m256 b1 = load_b(p, 1);
#pragma GCC unroll 6  // the accumulators must stay in registers
    for (std::size_t i = 0; i < Rows; ++i) {
      const __m256 x = _mm256_broadcast_ss(a_at(i, p));
      lo[i] = _mm256_fmadd_ps(x, b0, lo[i]);
      hi[i] = _mm256_fmadd_ps(x, b1, hi[i]);
    }
  }
}

#endif

}  // namespace recur::kernels
