// C = A op(B) with op(B) packed in 16-column panels. The kernel keeps a block of up to 6 rows x
// 16 columns of C in 12 AVX registers for the whole inner loop (core/kernels/fma_tile.hpp), so C
// is read and written once per product and A is streamed straight from its row-major rows
// without packing. A stacked operand (a recurrent step's [W_ih^T; W_hh^T]) is the same panels
// with several A's read one after the other into the same accumulators, which start from the
// bias. A single row (batch 1) covers four panels at once, so it too has eight independent
// accumulators. On a CPU with AVX-512, two neighbouring panels go through block_pair() instead,
// 16 columns per register, and a single row through single_row_wide() across up to 8 panels:
// each element is the same FMA chain, so the results do not change.
#include "core/kernels/packed_product.hpp"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/kernels/fma_tile.hpp"
#include "core/kernels/team.hpp"

namespace recur::kernels {
namespace {

constexpr std::size_t kPanel = kTileWidth;  // columns per panel
constexpr std::size_t kRows = kTileRows;    // rows of C per kernel call
constexpr std::size_t kParts = PackedRight::kMaxParts;

// One row block's operands: C[rows, width] = init + sum_i A_i[rows, k_i] panel[rows of part i]
// (+ D[rows, width] when `d` is set; D and C share the row stride ldc and may be the same
// memory), width <= 16 valid columns. `init` is 16 floats added to every row (a stacked
// operand's bias), or nullptr. A null a[i] leaves part i out.
struct BlockArgs {
  std::array<const float*, kParts> a;
  const std::size_t* k;  // rows of each part
  std::size_t parts;
  const float* panel;
  const float* init;
  const float* d;
  float* c;
  std::size_t ldc, width;
  std::size_t panel_stride;  // single_row(): floats from one panel to the next
};

#ifdef RECUR_KERNELS_AVX2

// Accumulates A[rows, k] (row stride k) times k panel rows into lo/hi.
template <std::size_t Rows>
[[gnu::always_inline]] inline void accumulate(const float* a, std::size_t k, const float* panel,
                                              __m256 (&lo)[Rows], __m256 (&hi)[Rows]) {
  fma_tile<Rows>(
      k, [&](std::size_t i, std::size_t p) { return a + i * k + p; },
      [&](std::size_t p, int half) { return _mm256_load_ps(panel + p * kPanel + 8 * half); }, lo,
      hi);
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
  const float* panel = g.panel;
  for (std::size_t part = 0; part < g.parts; ++part) {
    if (g.a[part]) accumulate<Rows>(g.a[part], g.k[part], panel, lo, hi);
    panel += g.k[part] * kPanel;
  }
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

#if defined(__x86_64__)
// block() over two neighbouring panels at once in AVX-512 registers, on CPUs that have them
// (recur is built for AVX2; OpenBLAS and PyTorch use AVX-512 where it is, at twice the FMA
// rate). Column j of either panel is one 16-wide accumulator, each element still the one FMA
// chain over k in order from the bias, D added last, so the result is bitwise block()'s. Both
// panels full width; g.panel is the first, the second follows at g.panel_stride floats. Up to 12
// rows (24 of the 32 registers): the two panels' rows, read from L2 when they pass L1, are then
// read once per 12 rows of C rather than per 6.
template <std::size_t Rows>
[[gnu::target("avx512f")]] void block_pair(const BlockArgs& g) {
  __m512 left[Rows], right[Rows];
  const __m512 init_left = g.init ? _mm512_loadu_ps(g.init) : _mm512_setzero_ps();
  const __m512 init_right = g.init ? _mm512_loadu_ps(g.init + kPanel) : _mm512_setzero_ps();
#pragma GCC unroll 12
  for (std::size_t i = 0; i < Rows; ++i) {
    left[i] = init_left;
    right[i] = init_right;
  }
  const float* panel = g.panel;
  for (std::size_t part = 0; part < g.parts; ++part) {
    const float* a = g.a[part];
    const std::size_t k = g.k[part];
    for (std::size_t p = 0; a && p < k; ++p) {
      const __m512 b0 = _mm512_load_ps(panel + p * kPanel);
      const __m512 b1 = _mm512_load_ps(panel + g.panel_stride + p * kPanel);
#pragma GCC unroll 12
      for (std::size_t i = 0; i < Rows; ++i) {
        const __m512 x = _mm512_set1_ps(a[i * k + p]);
        left[i] = _mm512_fmadd_ps(x, b0, left[i]);
        right[i] = _mm512_fmadd_ps(x, b1, right[i]);
      }
    }
    panel += k * kPanel;
  }
#pragma GCC unroll 12
  for (std::size_t i = 0; i < Rows; ++i) {
    float* row = g.c + i * g.ldc;
    if (g.d) {
      left[i] = _mm512_add_ps(left[i], _mm512_loadu_ps(g.d + i * g.ldc));
      right[i] = _mm512_add_ps(right[i], _mm512_loadu_ps(g.d + i * g.ldc + kPanel));
    }
    _mm512_storeu_ps(row, left[i]);
    _mm512_storeu_ps(row + kPanel, right[i]);
  }
}

// single_row() in AVX-512 registers: one 16-wide accumulator per panel, up to 8 panels (8
// independent FMA chains, as single_row()'s 4 panels of two halves), each element the same
// chain over k as there, D added last, so the results are bitwise single_row()'s. The last
// panel may be partial (g.width columns): its padding is zeros, and C and D are touched through
// a mask.
template <std::size_t Panels>
[[gnu::target("avx512f")]] void single_row_wide(const BlockArgs& g) {
  __m512 acc[Panels];
#pragma GCC unroll 8
  for (std::size_t q = 0; q < Panels; ++q)
    acc[q] = g.init ? _mm512_loadu_ps(g.init + q * kPanel) : _mm512_setzero_ps();
  const float* panel = g.panel;
  for (std::size_t part = 0; part < g.parts; ++part) {
    const float* a = g.a[part];
    const std::size_t k = g.k[part];
    for (std::size_t p = 0; a && p < k; ++p) {
      const __m512 x = _mm512_set1_ps(a[p]);
#pragma GCC unroll 8
      for (std::size_t q = 0; q < Panels; ++q)
        acc[q] = _mm512_fmadd_ps(x, _mm512_load_ps(panel + q * g.panel_stride + p * kPanel),
                                 acc[q]);
    }
    panel += k * kPanel;
  }
#pragma GCC unroll 8
  for (std::size_t q = 0; q < Panels; ++q) {
    const __mmask16 valid =
        q + 1 < Panels ? __mmask16(0xFFFF) : __mmask16((1u << g.width) - 1u);
    if (g.d) acc[q] = _mm512_add_ps(acc[q], _mm512_maskz_loadu_ps(valid, g.d + q * kPanel));
    _mm512_mask_storeu_ps(g.c + q * kPanel, valid, acc[q]);
  }
}
#define RECUR_KERNELS_AVX512 1
#endif

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
  const float* panel = g.panel;
  for (std::size_t part = 0; part < g.parts; ++part) {
    if (g.a[part]) accumulate_row<Panels>(g.a[part], g.k[part], panel, g.panel_stride, acc);
    panel += g.k[part] * kPanel;
  }
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
  const float* panel = g.panel;
  for (std::size_t part = 0; part < g.parts; ++part) {
    if (g.a[part]) add(g.a[part], g.k[part], panel);
    panel += g.k[part] * kPanel;
  }
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
#ifdef RECUR_KERNELS_AVX512
constexpr std::size_t kPairRows = 12;  // rows of C per block_pair() call
constexpr BlockFn kPairBlocks[kPairRows + 1] = {
    nullptr,        &block_pair<1>, &block_pair<2>,  &block_pair<3>,  &block_pair<4>,
    &block_pair<5>, &block_pair<6>, &block_pair<7>,  &block_pair<8>,  &block_pair<9>,
    &block_pair<10>, &block_pair<11>, &block_pair<12>};
#endif
#ifdef RECUR_KERNELS_AVX512
constexpr std::size_t kWideRowPanels = 8;  // panels one single_row_wide() call covers at most
constexpr BlockFn kWideSingleRows[kWideRowPanels + 1] = {
    nullptr,            &single_row_wide<1>, &single_row_wide<2>, &single_row_wide<3>,
    &single_row_wide<4>, &single_row_wide<5>, &single_row_wide<6>, &single_row_wide<7>,
    &single_row_wide<8>};
#endif
constexpr std::size_t kRowPanels = 4;  // panels one single_row() call covers at most
constexpr BlockFn kSingleRows[kRowPanels + 1] = {nullptr, &single_row<1>, &single_row<2>,
                                                 &single_row<3>, &single_row<4>};

std::atomic<int> wide_setting{-1};  // -1: not decided yet

}  // namespace

bool wide_kernels() {
  int setting = wide_setting.load(std::memory_order_relaxed);
  if (setting < 0) {
#ifdef RECUR_KERNELS_AVX512
    const char* forced = std::getenv("RECUR_KERNELS");
    const bool avx2_only = forced && std::string_view(forced) == "avx2";
    setting = !avx2_only && __builtin_cpu_supports("avx512f") ? 1 : 0;
#else
    setting = 0;
#endif
    wide_setting.store(setting, std::memory_order_relaxed);
  }
  return setting == 1;
}

void set_wide_kernels(bool on) {
#ifdef RECUR_KERNELS_AVX512
  wide_setting.store(on && __builtin_cpu_supports("avx512f") ? 1 : 0, std::memory_order_relaxed);
#else
  (void)on;
  wide_setting.store(0, std::memory_order_relaxed);
#endif
}

void PackedRight::reserve_panels(std::size_t k, std::size_t n) {
  k_ = k;
  n_ = n;
  const std::size_t panels = (n + kPanel - 1) / kPanel;
  const std::size_t needed = panels * k * kPanel + 16;
  if (storage_.size() < needed) storage_.resize(needed);
  // Align the first panel to 64 bytes, a cache line and an AVX-512 load (every panel is a
  // multiple of 64 bytes long).
  const auto address = reinterpret_cast<std::uintptr_t>(storage_.data());
  panels_ = storage_.data() + ((64 - address % 64) % 64) / sizeof(float);
}

// Writes op(B)'s `rows` rows ([rows, n]; B is [rows, n], or [n, rows] when transposed, with row
// stride ld, 0 for contiguous) into rows [first_row, first_row + rows) of every panel.
void PackedRight::pack_rows(const float* b, bool transpose, std::size_t rows,
                            std::size_t first_row, std::size_t ld) {
  if (ld == 0) ld = transpose ? rows : n_;
  const std::size_t panels = (n_ + kPanel - 1) / kPanel;
  // The panels are split over the team (a copy, so any split gives the same panels): at batch 1
  // packing the step's weights was a seventh of the calling thread's training step, with the
  // other member waiting. At least 32K floats a member, or the wake-up costs more.
  const std::size_t min_panels = std::max<std::size_t>(1, 32768 / std::max<std::size_t>(
                                                                    rows * kPanel, 1));
  parallel_for(panels, 1, min_panels, [&](std::size_t first_panel, std::size_t last_panel) {
    pack_panels(b, transpose, rows, first_row, ld, first_panel, last_panel);
  });
}

// pack_rows() for panels [first_panel, last_panel).
void PackedRight::pack_panels(const float* b, bool transpose, std::size_t rows,
                              std::size_t first_row, std::size_t ld, std::size_t first_panel,
                              std::size_t last_panel) {
  if (!transpose) {
    // Row by row across the panels, so B is read in order and each panel written in order: a
    // panel at a time read 64 bytes of every row of B and took 1.8 ms for the backward pass's
    // W_hh at H 512 (4 MiB, two threads) on the Xeon of docs/performance.md, this 0.4-0.7.
    const std::size_t full = std::min(last_panel, n_ / kPanel);  // panels [.., full) are whole
    for (std::size_t p = 0; p < rows; ++p) {
      const float* source = b + p * ld;
      float* row = panels_ + (first_row + p) * kPanel;
      for (std::size_t q = first_panel; q < full; ++q)
        std::copy_n(source + q * kPanel, kPanel, row + q * k_ * kPanel);
      for (std::size_t q = std::max(first_panel, full); q < last_panel; ++q) {
        float* target = row + q * k_ * kPanel;
        const std::size_t width = n_ - q * kPanel;
        std::copy_n(source + q * kPanel, width, target);
        std::fill(target + width, target + kPanel, 0.0f);
      }
    }
    return;
  }
  for (std::size_t q = first_panel; q < last_panel; ++q) {
    float* panel = panels_ + q * k_ * kPanel;
    const std::size_t first = q * kPanel, width = std::min(kPanel, n_ - first);
    float* top = panel + first_row * kPanel;
    // Column j of the panel is row first + j of B. A whole panel is written a row at a time
    // from its 16 rows of B read side by side, each in order: writing it a column at a time
    // (64 bytes apart) took 1.6-2.0 ms for the W_hh of an H 512 layer (4 MiB) on one thread of
    // the Xeon of docs/performance.md, this 0.7-1.3.
    if (width == kPanel) {
      const float* source[kPanel];
      for (std::size_t j = 0; j < kPanel; ++j) source[j] = b + (first + j) * ld;
      for (std::size_t p = 0; p < rows; ++p)
        for (std::size_t j = 0; j < kPanel; ++j) top[p * kPanel + j] = source[j][p];
      continue;
    }
    for (std::size_t j = 0; j < width; ++j) {
      const float* source = b + (first + j) * ld;
      for (std::size_t p = 0; p < rows; ++p) top[p * kPanel + j] = source[p];
    }
    if (width < kPanel)
      for (std::size_t p = 0; p < rows; ++p)
        std::fill(top + p * kPanel + width, top + (p + 1) * kPanel, 0.0f);
  }
}

void PackedRight::pack(const float* b, bool transpose, std::size_t k, std::size_t n,
                       std::size_t ld) {
  reserve_panels(k, n);
  parts_ = 1;
  part_k_ = {k};
  bias_.clear();
  pack_rows(b, transpose, k, 0, ld);
}

void PackedRight::pack_stacked(std::span<const Part> parts, bool transpose, std::size_t n,
                               const float* bias) {
  std::size_t k = 0;
  for (const Part& part : parts) k += part.k;
  reserve_panels(k, n);
  parts_ = std::min(parts.size(), kMaxParts);
  std::size_t first_row = 0;
  for (std::size_t i = 0; i < parts_; ++i) {
    part_k_[i] = parts[i].k;
    pack_rows(parts[i].b, transpose, parts[i].k, first_row, parts[i].ld);
    first_row += parts[i].k;
  }
  // Zero-padded to whole panels, so the last panel's 16 floats can be loaded at once.
  bias_.assign((n + kPanel - 1) / kPanel * kPanel, 0.0f);
  if (bias) std::copy(bias, bias + n, bias_.begin());
}

void PackedRight::multiply(const float* a, std::size_t m, float* c, bool accumulate,
                           Columns columns) const {
  const float* parts[kMaxParts] = {a};
  run(parts, nullptr, accumulate ? c : nullptr, c, m, columns);
}

void PackedRight::multiply_add(const float* a, std::size_t m, const float* d, float* c) const {
  const float* parts[kMaxParts] = {a};
  run(parts, nullptr, d, c, m, {});
}

void PackedRight::multiply_stacked(std::span<const float* const> a, std::size_t m, float* c,
                                   const float* d, bool with_bias, Columns columns) const {
  const float* parts[kMaxParts] = {};
  std::copy_n(a.begin(), std::min(a.size(), parts_), parts);
  run(parts, with_bias && !bias_.empty() ? bias_.data() : nullptr, d, c, m, columns);
}

void PackedRight::run(const float* const* a, const float* bias, const float* d, float* c,
                      std::size_t m, Columns columns) const {
  const std::size_t panels = (std::min(columns.last, n_) + kPanel - 1) / kPanel;
  const std::size_t first_panel = columns.first / kPanel;
  // Panel-major: one panel (k x 16 floats) stays in L1 while every row block passes over it
  // (for_each_row_tile() cuts the rows). A lone row (all of batch 1) goes across several panels
  // at once instead.
  const bool single = m == 1;
  const bool wide = wide_kernels();
  for (std::size_t q = first_panel; q < panels; ++q) {
    const std::size_t first = q * kPanel;
    BlockArgs g{{}, part_k_.data(), parts_, panels_ + q * k_ * kPanel,
                bias ? bias + first : nullptr, nullptr, nullptr, n_,
                std::min(kPanel, n_ - first), k_ * kPanel};
    // The block's operands move down the rows in place (a copy of the arguments per block was
    // a few percent of a recurrent step).
    const auto at = [&](std::size_t row) -> BlockArgs& {
      for (std::size_t part = 0; part < parts_; ++part)
        g.a[part] = a[part] ? a[part] + row * part_k_[part] : nullptr;
      g.d = d ? d + row * n_ + first : nullptr;
      g.c = c + row * n_ + first;
      return g;
    };
#ifdef RECUR_KERNELS_AVX512
    // A lone row across up to 8 panels at once in AVX-512 registers where the CPU has them.
    if (single && wide) {
      if ((q - first_panel) % kWideRowPanels == 0) {
        const std::size_t count = std::min(kWideRowPanels, panels - q);
        BlockArgs& row = at(0);
        row.width = std::min(kPanel, n_ - (q + count - 1) * kPanel);
        kWideSingleRows[count](row);
      }
      continue;
    }
    // Two full panels at once in AVX-512 registers where the CPU has them.
    if (!single && wide && q + 1 < panels && (q + 2) * kPanel <= n_) {
      for_each_row_tile(
          m, [&](std::size_t i, std::size_t rows) { kPairBlocks[rows](at(i)); }, kPairRows);
      ++q;
      continue;
    }
#endif
    if (!single)
      for_each_row_tile(m, [&](std::size_t i, std::size_t rows) { kBlocks[rows](at(i)); });
    if (single && (q - first_panel) % kRowPanels == 0) {
      const std::size_t count = std::min(kRowPanels, panels - q);
      BlockArgs& row = at(0);
      row.width = n_ - (q + count - 1) * kPanel;  // the last of these panels' valid columns
      row.width = std::min(kPanel, row.width);
      kSingleRows[count](row);
    }
  }
}

}  // namespace recur::kernels
