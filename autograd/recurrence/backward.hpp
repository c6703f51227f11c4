// recurrence()'s backward pass, shared by its files (internal to autograd/recurrence/; not
// installed): the gradient buffers and the per-step parts (backward_steps.cpp), the loop and
// what comes after it (backward.cpp).
#pragma once

#include "autograd/recorder.hpp"
#include "autograd/recurrence/steps.hpp"

namespace recur::detail::recurrence {

// The gradient buffers the rule adds into (null: not wanted).
struct Grads {
  float* x = nullptr;         // [T, B, I], in sorted order when ragged (then scattered after)
  float* weight_ih = nullptr;
  float* weight_hh = nullptr;
  float* bias_ih = nullptr;
  float* bias_hh = nullptr;
  float* weight_hr = nullptr;
  // Which of them nothing has added to yet, their contents undefined: only when the products
  // after the loop are all that writes them (not stepwise), which then write rather than add
  // (a zero-fill and a pass of additions fewer over 4.5 MiB at LSTM H 512).
  struct Fresh {
    bool x = false, weight_ih = false, weight_hh = false, bias_ih = false, bias_hh = false;
    bool weight_hr = false;
  } fresh;
};

// Adds the column sums of `rows` x `width` values, columns [first, last), to `sums`.
inline void add_column_sums(const float* values, std::size_t rows, std::size_t width,
                            std::size_t first, std::size_t last, float* sums) {
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t k = first; k < last; ++k) sums[k] += values[r * width + k];
}

// Where a step's weight and bias gradients are added (null: not wanted): the gradients
// themselves, or one block of rows' own sums (Dims::weight_blocks).
struct WeightTargets {
  float* weight_ih = nullptr;
  float* weight_hh = nullptr;
  float* weight_hr = nullptr;
  float* bias_ih = nullptr;
  float* bias_hh = nullptr;
};

// One run's backward: what every member reads, and the passes.
struct Backward {
  BackwardContext& ctx;
  const Dims& d;
  const Layout& layout;
  Buffers& buf;
  Grads grads;
  const float* x = nullptr;       // the input in this run's row order
  const float* d_out = nullptr;   // dL/d output in this run's row order
  const float* vectors = nullptr; // [V, H]
  const float* weight_ih = nullptr;
  PackedWeights& w;

  std::size_t kept_step(std::size_t n, std::size_t t) const { return d.stepwise() ? n % 2 : t; }
  float* d_gates(std::size_t slot) const { return buf.at(layout.d_gates) + slot * d.B * d.G(); }
  float* d_hidden(std::size_t slot) const {
    return d.separate() ? buf.at(layout.d_hidden) + slot * d.B * d.G() : d_gates(slot);
  }
  float* d_projected(std::size_t slot) const {
    return buf.at(layout.d_projected) + slot * d.B * d.P;
  }
  float* masked(std::size_t slot) const { return buf.at(layout.masked_steps) + slot * d.B * d.P; }
  float* d_states(std::size_t k) const { return buf.at(layout.d_states) + (k - 1) * d.B * d.H; }

  // Processed step n for rows [r0, r1) (which all ran at it).
  void rows_of_step(std::size_t n, std::size_t r0, std::size_t r1) const;
  // Processed step n's weight and bias gradients, this member's share of their rows.
  void weights_of_step(std::size_t n, const kernels::TeamMember& member) const;
  // Processed step n's weight and bias gradients over the batch rows in `rows` that ran at it,
  // added into each block's own sums (the blocks `rows` covers, whole).
  void weights_of_blocks(std::size_t n, kernels::Range rows) const;
  // Block b's sums (Dims::weight_blocks).
  WeightTargets block_sums(std::size_t b) const;
  // Adds the block sums into the gradients, in block order.
  void add_block_sums() const;
  // Processed step n for units [u0, u1) of every row (a small batch split by units): the
  // pointwise part, then, after a barrier, what needs every unit's dG.
  void units_of_step(std::size_t n, const kernels::TeamMember& member, kernels::Range units) const;
  // Everything after the loop.
  void after_loop() const;

 private:
  // Processed step n's weight and bias gradients over rows [r0, r1): the columns `gates` of
  // dW_ih, dW_hh and the biases, the rows `outputs` of dW_hr.
  void add_step_weights(std::size_t n, std::size_t r0, std::size_t r1, kernels::Range gates,
                        kernels::Range outputs, const WeightTargets& to) const;
};

}  // namespace recur::detail::recurrence
