// C = A op(B) with op(B) packed in 16-column panels. The kernel keeps a block of up to 6 rows x
// 16 columns of C in 12 AVX registers for the whole inner loop (the classic 6x16 FMA block: per
// k, two panel loads, six broadcasts of A, twelve FMAs), so C is read and written once per
// product and A is streamed straight from its row-major rows without packing. A stacked operand
// (a recurrent step's [W_ih^T; W_hh^T]) is the same panels with two A's read one after the
// other into the same accumulators, which start from the bias. A single row (batch 1) covers
// four panels at once, so it too has eight independent accumulators.
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

// One row block's operands: C[rows, width] = init + A1[rows, k1] panel[0:k1] + A2[rows, k2]
// panel[k1:k1+k2] (+ D[rows, width] when `d` is set; D and C share the row stride ldc and may be
// the same memory), width <= 16 valid columns. `init` is 16 floats added to every row (a
// stacked operand's bias), or nullptr.
struct BlockArgs {
  const float* a1;
  std::size_t k1;
  const float* a2;
  std::size_t k2;
  const float* panel;
  const float* init;
  const float* d;
  float* c;
  std::size_t ldc, width;
  std::size_t panel_stride;  // single_row(): floats from one panel to the next
};

#ifdef RECUR_PACKED_AVX2

// Accumulates A[rows, k] (row stride k) times k panel rows into lo/hi.
template <std::size_t Rows>
inline void accumulate(const float* a, std::size_t k, const float* panel, __m256* lo, __m256* hi) {
#pragma GCC unroll 2
  for (std::size_t p = 0; p < k; ++p) {
    const __m256 b0 = _mm256_load_ps(panel + p * kPanel);
    const __m256 b1 = _mm256_load_ps(panel + p * kPanel + 8);
#pragma GCC unroll 6  // the accumulators must stay in registers
    for (std::size_t i = 0; i < Rows; ++i) {
      const __m256 x = _mm256_broadcast_ss(a + i * k + p);
      lo[i] = _mm256_fmadd_ps(x, b0, lo[i]);
      hi[i] = _mm256_fmadd_ps(x, b1, hi[i]);
    }
  }
}

template <std::size_t Rows>
void block(const BlockArgs& g) {
  __m256 lo[Rows], hi[Rows];
  const __m256 init_lo = g.init ? _mm256_loadu_ps(g.init) : _mm256_setzero_ps();
  const __m256 init_hi = g.init ? _mm256_loadu_ps(g.init + 8) : _mm256_setzero_ps();
#pragma GCC unroll 6
  for (std::size_t i = 0; i < Rows; ++i) {
    lo[i] = init_lo;
    hi[i] = init_hi;
  }
  if (g.a1) accumulate<Rows>(g.a1, g.k1, g.panel, lo, hi);
  if (g.a2) accumulate<Rows>(g.a2, g.k2, g.panel + g.k1 * kPanel, lo, hi);
  const std::size_t ldc = g.ldc;
  if (g.width == kPanel) {
#pragma GCC unroll 6
    for (std::size_t i = 0; i < Rows; ++i) {
      float* row = g.c + i * ldc;
      if (g.d) {
        lo[i] = _mm256_add_ps(lo[i], _mm256_loadu_ps(g.d + i * ldc));
        hi[i] = _mm256_add_ps(hi[i], _mm256_loadu_ps(g.d + i * ldc + 8));
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
    float* row = g.c + i * ldc;
    for (std::size_t j = 0; j < g.width; ++j) row[j] = g.d ? g.d[i * ldc + j] + tile[j] : tile[j];
  }
}

// One row of C across `Panels` consecutive panels (g.panel is the first; the others follow at
// g.panel_stride floats, their init and columns of C and D at 16 floats each): a single row in
// one panel has only two accumulators, too few to hide the FMA latency, and batch 1 is nothing
// but single rows. g.width is the last panel's valid columns.
template <std::size_t Panels>
inline void accumulate_row(const float* a, std::size_t k, const float* panel, std::size_t stride,
                           __m256 (&acc)[Panels][2]) {
  for (std::size_t p = 0; p < k; ++p) {
    const __m256 x = _mm256_broadcast_ss(a + p);
#pragma GCC unroll 4
    for (std::size_t q = 0; q < Panels; ++q) {
      const float* row = panel + q * stride + p * kPanel;
      acc[q][0] = _mm256_fmadd_ps(x, _mm256_load_ps(row), acc[q][0]);
      acc[q][1] = _mm256_fmadd_ps(x, _mm256_load_ps(row + 8), acc[q][1]);
    }
  }
}

template <std::size_t Panels>
void single_row(const BlockArgs& g) {
  __m256 acc[Panels][2];
#pragma GCC unroll 4
  for (std::size_t q = 0; q < Panels; ++q) {
    acc[q][0] = g.init ? _mm256_loadu_ps(g.init + q * kPanel) : _mm256_setzero_ps();
    acc[q][1] = g.init ? _mm256_loadu_ps(g.init + q * kPanel + 8) : _mm256_setzero_ps();
  }
  if (g.a1) accumulate_row<Panels>(g.a1, g.k1, g.panel, g.panel_stride, acc);
  if (g.a2) accumulate_row<Panels>(g.a2, g.k2, g.panel + g.k1 * kPanel, g.panel_stride, acc);
  alignas(32) float tile[kPanel];
#pragma GCC unroll 4
  for (std::size_t q = 0; q < Panels; ++q) {
    float* row = g.c + q * kPanel;
    const float* d = g.d ? g.d + q * kPanel : nullptr;
    if (q + 1 < Panels || g.width == kPanel) {
      if (d) {
        acc[q][0] = _mm256_add_ps(acc[q][0], _mm256_loadu_ps(d));
        acc[q][1] = _mm256_add_ps(acc[q][1], _mm256_loadu_ps(d + 8));
      }
      _mm256_storeu_ps(row, acc[q][0]);
      _mm256_storeu_ps(row + 8, acc[q][1]);
    } else {
      _mm256_store_ps(tile, acc[q][0]);
      _mm256_store_ps(tile + 8, acc[q][1]);
      for (std::size_t j = 0; j < g.width; ++j) row[j] = d ? d[j] + tile[j] : tile[j];
    }
  }
}

#else

// Portable fallback on the same layout (builds without AVX2/FMA, e.g. -march=x86-64).
template <std::size_t Rows>
void block(const BlockArgs& g) {
  float acc[Rows][kPanel];
  for (std::size_t i = 0; i < Rows; ++i)
    for (std::size_t j = 0; j < kPanel; ++j) acc[i][j] = g.init ? g.init[j] : 0.0f;
  const auto add = [&](const float* a, std::size_t k, const float* panel) {
    for (std::size_t p = 0; p < k; ++p)
      for (std::size_t i = 0; i < Rows; ++i)
        for (std::size_t j = 0; j < kPanel; ++j) acc[i][j] += a[i * k + p] * panel[p * kPanel + j];
  };
  if (g.a1) add(g.a1, g.k1, g.panel);
  if (g.a2) add(g.a2, g.k2, g.panel + g.k1 * kPanel);
  for (std::size_t i = 0; i < Rows; ++i)
    for (std::size_t j = 0; j < g.width; ++j)
      g.c[i * g.ldc + j] = g.d ? g.d[i * g.ldc + j] + acc[i][j] : acc[i][j];
}

// One row across `Panels` panels, one panel at a time.
template <std::size_t Panels>
void single_row(const BlockArgs& g) {
  for (std::size_t q = 0; q < Panels; ++q) {
    BlockArgs one = g;
    one.panel = g.panel + q * g.panel_stride;
    one.init = g.init ? g.init + q * kPanel : nullptr;
    one.d = g.d ? g.d + q * kPanel : nullptr;
    one.c = g.c + q * kPanel;
    one.width = q + 1 < Panels ? kPanel : g.width;
    block<1>(one);
  }
}

#endif

using BlockFn = void (*)(const BlockArgs&);
constexpr BlockFn kBlocks[kRows + 1] = {nullptr,  &block<1>, &block<2>, &block<3>,
                                        &block<4>, &block<5>, &block<6>};
constexpr std::size_t kRowPanels = 4;  // panels one single_row() call covers at most
constexpr BlockFn kSingleRows[kRowPanels + 1] = {nullptr, &single_row<1>, &single_row<2>,
                                                 &single_row<3>, &single_row<4>};

}  // namespace

void PackedRight::reserve_panels(std::size_t k, std::size_t n) {
  k_ = k;
  n_ = n;
  const std::size_t panels = (n + kPanel - 1) / kPanel;
  const std::size_t needed = panels * k * kPanel + 8;
  if (storage_.size() < needed) storage_.resize(needed);
  // Align the first panel to 32 bytes (every panel is a multiple of 64 bytes long).
  const auto address = reinterpret_cast<std::uintptr_t>(storage_.data());
  panels_ = storage_.data() + ((32 - address % 32) % 32) / sizeof(float);
}

// Writes op(B)'s `rows` rows ([rows, n]; B is [rows, n], or [n, rows] when transposed) into
// rows [first_row, first_row + rows) of every panel.
void PackedRight::pack_rows(const float* b, bool transpose, std::size_t rows,
                            std::size_t first_row) {
  const std::size_t panels = (n_ + kPanel - 1) / kPanel;
  for (std::size_t q = 0; q < panels; ++q) {
    float* panel = panels_ + q * k_ * kPanel;
    const std::size_t first = q * kPanel, width = std::min(kPanel, n_ - first);
    float* top = panel + first_row * kPanel;
    if (transpose) {
      // Column j of the panel is row first + j of B: read B's rows in order (a read across 16
      // rows for each panel row was a quarter of a batch-1 forward pass; what is left is the
      // memory traffic, which an 8 x 8 AVX transpose did not shorten).
      for (std::size_t j = 0; j < width; ++j) {
        const float* source = b + (first + j) * rows;
        for (std::size_t p = 0; p < rows; ++p) top[p * kPanel + j] = source[p];
      }
    } else {
      for (std::size_t p = 0; p < rows; ++p)
        std::memcpy(top + p * kPanel, b + p * n_ + first, width * sizeof(float));
    }
    if (width < kPanel)
      for (std::size_t p = 0; p < rows; ++p)
        std::fill(top + p * kPanel + width, top + (p + 1) * kPanel, 0.0f);
  }
}

void PackedRight::pack(const float* b, bool transpose, std::size_t k, std::size_t n) {
  reserve_panels(k, n);
  split_ = k;
  bias_.clear();
  pack_rows(b, transpose, k, 0);
}

void PackedRight::pack_stacked(const float* b1, std::size_t k1, const float* b2, std::size_t k2,
                               bool transpose, std::size_t n, const float* bias) {
  reserve_panels(k1 + k2, n);
  split_ = k1;
  pack_rows(b1, transpose, k1, 0);
  pack_rows(b2, transpose, k2, k1);
  // Zero-padded to whole panels, so the last panel's 16 floats can be loaded at once.
  bias_.assign((n + kPanel - 1) / kPanel * kPanel, 0.0f);
  if (bias) std::copy(bias, bias + n, bias_.begin());
}

void PackedRight::multiply(const float* a, std::size_t m, float* c, bool accumulate) const {
  run(a, k_, nullptr, 0, m, nullptr, accumulate ? c : nullptr, c);
}

void PackedRight::multiply_add(const float* a, std::size_t m, const float* d, float* c) const {
  run(a, k_, nullptr, 0, m, nullptr, d, c);
}

void PackedRight::multiply_pair(const float* a1, const float* a2, std::size_t m, float* c,
                                const float* d) const {
  run(a1, split_, a2, k_ - split_, m, bias_.empty() ? nullptr : bias_.data(), d, c);
}

void PackedRight::multiply_first(const float* a1, std::size_t m, float* c) const {
  run(a1, split_, nullptr, k_ - split_, m, nullptr, nullptr, c);
}

void PackedRight::run(const float* a1, std::size_t k1, const float* a2, std::size_t k2,
                      std::size_t m, const float* bias, const float* d, float* c) const {
  const std::size_t panels = (n_ + kPanel - 1) / kPanel;
  // Blocks of 6 rows, or of 4 when that divides m and 6 does not (a 2-row tail has too few
  // accumulators to hide the FMA latency).
  const std::size_t rows = (m % kRows != 0 && m % 4 == 0) ? 4 : kRows;
  const BlockFn body = rows == 4 ? &block<4> : &block<kRows>;
  const std::size_t full = m / rows * rows, rest = m - full;
  // Panel-major: one panel (k x 16 floats) stays in L1 while every row block passes over it.
  // A single last row (all of batch 1) goes across several panels at once instead.
  const bool single = rest == 1;
  for (std::size_t q = 0; q < panels; ++q) {
    const std::size_t first = q * kPanel;
    BlockArgs g{nullptr, k1, nullptr, k2, panels_ + q * k_ * kPanel, bias ? bias + first : nullptr,
                nullptr, nullptr, n_, std::min(kPanel, n_ - first), k_ * kPanel};
    const auto at = [&](std::size_t row) {
      g.a1 = a1 ? a1 + row * k1 : nullptr;
      g.a2 = a2 ? a2 + row * k2 : nullptr;
      g.d = d ? d + row * n_ + first : nullptr;
      g.c = c + row * n_ + first;
      return g;
    };
    for (std::size_t i = 0; i < full; i += rows) body(at(i));
    if (rest && !single) kBlocks[rest](at(full));
    if (single && q % kRowPanels == 0) {
      const std::size_t count = std::min(kRowPanels, panels - q);
      BlockArgs row = at(full);
      row.width = n_ - (q + count - 1) * kPanel;  // the last of these panels' valid columns
      row.width = std::min(kPanel, row.width);
      kSingleRows[count](row);
    }
  }
}

}  // namespace recur::nn::detail
