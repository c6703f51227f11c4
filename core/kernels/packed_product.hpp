/// @file
/// A matrix product with a right operand packed once and reused many times: the recurrent
/// weights of a layer multiply every time step's small [B, H] state. OpenBLAS repacks both
/// operands and scales C on every call, which on these small shapes (B 1..64, H 64..512) costs
/// as much as the arithmetic; packing the weights once per sequence and running a
/// register-blocked AVX2 kernel over them removes that overhead; on a CPU with AVX-512 it runs
/// two panels at once in AVX-512 registers, with bitwise the same results (wide_kernels()).
/// tests/core/packed_product_test.cpp compares it with gemm_raw on every shape class (edges of
/// the 6-row and 16-column blocks) and the two instruction sets with each other.
/// Internal to the library; not installed.
#pragma once

#include <array>
#include <cstddef>
#include <span>
#include <vector>

namespace recur::kernels {

/// Whether the packed product runs two panels at once in AVX-512 registers: on a CPU that has
/// AVX-512F, unless the environment variable RECUR_KERNELS is "avx2" when first asked. Either way
/// every element comes out bitwise the same (one FMA chain over k in order).
bool wide_kernels();
/// Turns the AVX-512 path on (where the CPU has it) or off, for tests and benchmarks.
void set_wide_kernels(bool on);

/// Columns [first, last) of a product's C, for a member of a thread team that computes only its
/// share; `first` a multiple of 16 (a panel's first column), `last` a multiple of 16 or n. The
/// default is every column. Each element comes out bitwise as in the whole product.
struct Columns {
  std::size_t first = 0;                            ///< First column.
  std::size_t last = static_cast<std::size_t>(-1);  ///< One past the last (clamped to n).
};

/// op(B) of C = A op(B), stored as panels of 16 columns, each panel k rows of 16 floats
/// (zero-padded past n), so the kernel reads it with two aligned vector loads per row.
///
/// A stacked operand is several right operands one over the other, [op(B1); op(B2); ...], for
/// the product [A1 A2 ...] [op(B1); op(B2); ...] = A1 op(B1) + A2 op(B2) + ...: a recurrent
/// step's input and hidden weights, so x_t W_ih^T + h W_hh^T is one pass over C.
class PackedRight {
 public:
  /// Most parts a stacked operand may have (input, and up to three fed-back states).
  static constexpr std::size_t kMaxParts = 4;

  /// One part of a stacked operand: B row-major [k, n], or [n, k] when transposed, with row
  /// stride `ld` (0: contiguous rows, n or k floats).
  struct Part {
    const float* b;      ///< The matrix.
    std::size_t k;       ///< Its rows in op(B).
    std::size_t ld = 0;  ///< Row stride of B in floats; 0 for contiguous.
  };

  /// Packs op(B), [k, n]: B is row-major [k, n], or [n, k] when `transpose` (then op(B) = B^T),
  /// with row stride `ld` (0: contiguous). Reuses this object's memory when it is large enough.
  void pack(const float* b, bool transpose, std::size_t k, std::size_t n, std::size_t ld = 0);

  /// Packs the parts stacked, [k1 + k2 + ..., n], all laid out as in pack(). `bias` ([n], or
  /// nullptr for zeros) is kept beside the panels and starts every row of multiply_stacked()'s
  /// result.
  void pack_stacked(std::span<const Part> parts, bool transpose, std::size_t n, const float* bias);

  /// Columns [first, last) of C (see kernels::Columns).
  using Columns = kernels::Columns;

  /// C = A op(B) (accumulate false) or C += A op(B) (accumulate true). A is row-major [m, k],
  /// C row-major [m, n], both contiguous; only `columns` of C are computed.
  void multiply(const float* a, std::size_t m, float* c, bool accumulate,
                Columns columns = {}) const;

  /// C = D + A op(B): D row-major [m, n] like C, possibly C itself, or nullptr for none. Adding
  /// D as C is stored spares a separate pass that copies D into C first.
  void multiply_add(const float* a, std::size_t m, const float* d, float* c) const;

  /// C = bias + sum_i A_i op(B_i) (+ D) after pack_stacked(): a[i] row-major [m, k_i] for each
  /// part (nullptr leaves that part out), C and D row-major [m, n] (D may be C itself, or nullptr
  /// for none). `with_bias` false leaves the bias out.
  void multiply_stacked(std::span<const float* const> a, std::size_t m, float* c,
                        const float* d = nullptr, bool with_bias = true,
                        Columns columns = {}) const;

  /// Inner size k of the packed operand (all parts).
  std::size_t k() const { return k_; }
  /// Columns n of the packed operand.
  std::size_t n() const { return n_; }

 private:
  std::vector<float> storage_;  // over-allocated by 8 floats so panels can start 32-byte aligned
  float* panels_ = nullptr;
  std::vector<float> bias_;      // pack_stacked's bias, zero-padded to whole panels
  std::size_t k_ = 0, n_ = 0;
  std::array<std::size_t, kMaxParts> part_k_{};  // rows of each part; one part after pack()
  std::size_t parts_ = 0;

  void reserve_panels(std::size_t k, std::size_t n);
  void pack_rows(const float* b, bool transpose, std::size_t rows, std::size_t first_row,
                 std::size_t ld);
  void pack_panels(const float* b, bool transpose, std::size_t rows, std::size_t first_row,
                   std::size_t ld, std::size_t first_panel, std::size_t last_panel);
  void run(const float* const* a, const float* bias, const float* d, float* c, std::size_t m,
           Columns columns) const;
};

}  // namespace recur::kernels
