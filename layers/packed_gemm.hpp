/// @file
/// A matrix product with a right operand packed once and reused many times: the recurrent
/// weight of a layer multiplies every time step's small [B, H] state. OpenBLAS repacks both
/// operands and scales C on every call, which on these small shapes (B 1..64, H 64..512) costs
/// as much as the arithmetic; packing W_hh once per sequence and running a register-blocked
/// AVX2 kernel over it removes that overhead. tests/layers/packed_gemm_test.cpp compares it
/// with gemm_raw on every shape class (edges of the 6-row and 16-column blocks).
#pragma once

#include <cstddef>
#include <vector>

namespace recur::nn::detail {

/// op(B) of C = A op(B), stored as panels of 16 columns, each panel k rows of 16 floats
/// (zero-padded past n), so the kernel reads it with two aligned vector loads per row.
class PackedRight {
 public:
  /// Packs op(B), [k, n]: B is row-major [k, n], or [n, k] when `transpose` (then op(B) = B^T).
  /// Reuses this object's memory when it is large enough.
  void pack(const float* b, bool transpose, std::size_t k, std::size_t n);

  /// Packs op(B1) stacked over op(B2), [k1 + k2, n], for the product [A1 A2] [op(B1); op(B2)]
  /// (multiply_pair): a recurrent step's input and hidden weights, so x_t W_ih^T + h W_hh^T is
  /// one pass over C. `bias` ([n], or nullptr for zeros) is kept beside the panels and starts
  /// every row of multiply_pair's result. B1 and B2 are laid out as in pack().
  void pack_stacked(const float* b1, std::size_t k1, const float* b2, std::size_t k2,
                    bool transpose, std::size_t n, const float* bias);

  /// C = A op(B) (accumulate false) or C += A op(B) (accumulate true). A is row-major [m, k],
  /// C row-major [m, n], both contiguous.
  void multiply(const float* a, std::size_t m, float* c, bool accumulate) const;

  /// C = D + A op(B): D row-major [m, n] like C, possibly C itself, or nullptr for none. Adding
  /// D as C is stored spares a separate pass that copies D into C first.
  void multiply_add(const float* a, std::size_t m, const float* d, float* c) const;

  /// C = bias + A1 op(B1) + A2 op(B2) (+ D) after pack_stacked(): A1 row-major [m, k1], A2
  /// row-major [m, k2] (either may be nullptr to leave its part out), C and D row-major [m, n]
  /// (D may be C itself, or nullptr for none).
  void multiply_pair(const float* a1, const float* a2, std::size_t m, float* c,
                     const float* d = nullptr) const;

  /// C = A1 op(B1) after pack_stacked(), without the bias: the input projection of every step at
  /// once, which multiply_pair(nullptr, h, ..., D) then completes step by step.
  void multiply_first(const float* a1, std::size_t m, float* c) const;

  /// Inner size k of the packed operand.
  std::size_t k() const { return k_; }
  /// Columns n of the packed operand.
  std::size_t n() const { return n_; }

 private:
  std::vector<float> storage_;  // over-allocated by 8 floats so panels can start 32-byte aligned
  float* panels_ = nullptr;
  std::vector<float> bias_;      // pack_stacked's bias, zero-padded to whole panels
  std::size_t k_ = 0, n_ = 0, split_ = 0;  // split_: rows of op(B1) in a stacked operand

  void reserve_panels(std::size_t k, std::size_t n);
  void pack_rows(const float* b, bool transpose, std::size_t rows, std::size_t first_row);
  void run(const float* a1, std::size_t k1, const float* a2, std::size_t k2, std::size_t m,
           const float* bias, const float* d, float* c) const;
};

}  // namespace recur::nn::detail
