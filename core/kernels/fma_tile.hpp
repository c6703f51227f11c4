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

/// Cuts m rows of C into ceil(m / 6) tiles as even as possible, the larger first, and calls
/// `body(first_row, rows)` for each (m = 32: 6 6 5 5 5 5; 16: 6 5 5; 13: 5 4 4; 8: 4 4). A tile of
/// 1 or 2 rows has too few accumulators to hide the FMA latency, and one of 4 fewer than 5 or 6:
/// on an H 512 step's shape (m 32, k 576) the kernel ran at 110 GFLOP/s with 6 6 5 5 5 5 against
/// 101-105 with 6 6 6 6 4 4.
/// `most` caps a tile's rows at another count (the AVX-512 pair block takes up to 12).
template <class Body>
inline void for_each_row_tile(std::size_t m, Body body, std::size_t most = kTileRows) {
  const std::size_t tiles = (m + most - 1) / most;
  if (tiles == 0) return;
  const std::size_t base = m / tiles, larger = m % tiles;
  for (std::size_t tile = 0, row = 0; tile < tiles; ++tile) {
    const std::size_t rows = base + (tile < larger ? 1 : 0);
    body(row, rows);
    row += rows;
  }
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
