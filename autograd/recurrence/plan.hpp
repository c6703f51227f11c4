// How recurrence() lays out one run (internal to autograd/recurrence/; not installed): the sizes
// the backward rule captures, which path each part takes, and where each buffer lives in the
// node's saved tensor.
//
// A padded batch (lengths given) runs in "sorted space": rows ordered by length, longest first,
// so the sequences still running at step t are rows [0, active(t)) and each step multiplies and
// updates only those. Its input is gathered into that order once and its output scattered back
// once; states live in T + 1 slots, slot(t) holding the states after time t and the extra slot
// the initial states, so that every step reads "the slot before mine" whether it starts a
// sequence or continues it (a reverse sequence shorter than T starts from the initial state
// copied into its padding slot).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "autograd/cell_declaration.hpp"

namespace recur {
struct RecurrenceInputs;
}

namespace recur::detail::recurrence {

inline constexpr std::uint8_t kAbsent = 255;

// Weight gradients at most this large (floats of dW_ih plus dW_hh plus dW_hr) are added up step
// by step (core/kernels/transposed_product.hpp), the rest by one GEMM each after the loop: 64K
// floats, 256 KiB, half of this machine's L2 per core. The memory-horizon LSTM (I 16, H 64) has
// 20K.
inline constexpr std::size_t kStepwiseWeightFloats = 64 * 1024;

// Stepwise, a batch of 32 rows or more adds its weight gradients per block of rows, each block
// into sums of its own that are added together in block order after the loop; the blocks depend
// on B alone, so each element is summed in one order on any number of threads, and a member
// adds its own blocks' part of a step with no wait for the others' rows. A smaller batch has one
// block: its members wait at a barrier every step and split the columns of the weights instead.
// LSTM B 64, T 1000, H 64 on two threads: with the barrier, perf put the waits at 4% of the
// step's samples and the weight part at 4x its one-thread samples (the other member's dG read
// across cores); in blocks the step took 0.93x the time (docs/performance.md).
inline constexpr std::size_t kWeightBlockRows = 16;  // rows of a block, at least
inline constexpr std::size_t kMaxWeightBlocks = 8;   // each block's sums are read once per step

// The sizes and inputs of one run: trivially copyable and small, since the backward rule
// captures it (48 bytes at most).
struct Dims {
  const cell::CellSpec* cell;
  std::uint32_t T, B, I, H, P;  // P: width of h as output and as fed back (H, or the projection)
  // Positions among the node's inputs (kAbsent when not given). Input 0 is x, 1 weight_ih.
  std::uint8_t weight_hh, bias_ih, bias_hh, weight_hr, mask, first_initial, first_vector;
  std::uint8_t initial_present;  // bit k: the initial state k was given
  bool reverse, ragged;

  std::size_t S() const { return cell->states; }
  std::size_t R() const {
    return cell->recurrence == cell::Recurrence::none ? 0 : cell->recurrent_states;
  }
  std::size_t V() const { return cell->vectors; }
  std::size_t G() const { return cell->gates * H; }
  std::size_t width(std::size_t k) const { return k == 0 ? P : H; }
  bool dense() const { return cell->recurrence == cell::Recurrence::dense; }
  bool separate() const { return cell->recurrence == cell::Recurrence::separate; }
  bool projection() const { return weight_hr != kAbsent; }
  bool has(std::uint8_t index) const { return index != kAbsent; }
  bool initial(std::size_t k) const { return (initial_present >> k) & 1u; }
  // Whether any fed-back state starts from a given value; if none does, the first processed
  // step has no recurrent product (it would multiply zeros).
  bool recurrent_initial() const {
    for (std::size_t r = 0; r < R(); ++r)
      if (initial(r)) return true;
    return false;
  }
  // The time index of the n-th processed step.
  std::size_t time(std::size_t n) const { return reverse ? T - 1 - n : n; }
  // Slot of the states after time t in sorted space; the initial states are in slot
  // initial_slot().
  std::size_t slot(std::size_t t) const { return reverse ? t : t + 1; }
  std::size_t initial_slot() const { return reverse ? T : 0; }
  // The slot a step at time t reads its states from.
  std::size_t previous_slot(std::size_t t) const { return reverse ? t + 1 : t; }
  // Small batches read the packed weights once per row, so the input half of the product is
  // made for all T*B rows before the loop; without a recurrent product, all of it is.
  bool project_all() const { return B < 4 || R() == 0; }
  // Whether the backward adds the weight gradients up per step (keeping one step's dG only).
  bool stepwise() const {
    const std::size_t floats = G() * (I + R() * P) + (projection() ? P * H : 0);
    return floats <= kStepwiseWeightFloats;
  }
  // Stepwise, the rows of each block whose weight gradients are summed apart (a multiple of 4;
  // the last block may have fewer), and how many blocks there are (1: no blocks, B rows).
  std::size_t weight_block_rows() const {
    const std::size_t wanted =
        stepwise() ? std::min<std::size_t>(kMaxWeightBlocks, B / kWeightBlockRows) : 1;
    if (wanted < 2) return B > 0 ? B : 1;
    return (B + 4 * wanted - 1) / (4 * wanted) * 4;
  }
  std::size_t weight_blocks() const { return (B + weight_block_rows() - 1) / weight_block_rows(); }
  // The floats of one block's sums: dW_ih, dW_hh, dW_hr, bias_ih, bias_hh.
  std::size_t weight_block_floats() const {
    return G() * (I + R() * P) + (projection() ? P * H : 0) + 2 * G();
  }
};

// The sizes of a run, after checking every input's shape (forward.cpp); the input positions
// are left for the caller to fill.
Dims check(const cell::CellSpec& cell, const RecurrenceInputs& inputs);

// Offsets (in floats) of every buffer in the node's saved tensor. keep_all: a training run,
// which keeps every step for backward and reserves the backward's scratch; otherwise one step's
// buffers are reused.
struct Layout {
  std::size_t order = 0, active = 0;           // ragged: sorted row -> batch row; rows per time
  std::size_t x_sorted = 0, out_slots = 0;     // ragged: [T, B, I], [T + 1, B, P]
  std::size_t pre = 0, pre_hidden = 0;         // [steps, B, G] each (hidden: separate only)
  std::size_t projected = 0;                   // project_all: [T, B, G]
  std::size_t states = 0;                      // [slots, S - 1, B, H]: states after h
  std::size_t h_raw = 0;                       // projection: [steps, B, H], h before it
  std::size_t zeros = 0;                       // [B, max(P, H)] of zeros
  std::size_t masked = 0;                      // recurrent mask, forward: [B, P] h times it
  std::size_t mask_sorted = 0;                 // ragged recurrent mask: [B, P] in sorted order
  std::size_t bias = 0;                        // dense: [G] bias_ih + bias_hh
  // Backward only (keep_all).
  std::size_t d_gates = 0, d_hidden = 0;       // [kept, B, G]: two steps when stepwise
  std::size_t d_h = 0, d_states = 0;           // [B, P], [S - 1, B, H]
  std::size_t d_h_raw = 0;                     // projection: [B, H]
  std::size_t d_vectors = 0;                   // [B, V, H]: each row's sum over the steps
  std::size_t d_projected = 0;                 // projection: [kept, B, P], dL/dh at each step
  std::size_t masked_steps = 0;                // mask: [kept, B, P], h times the mask
  std::size_t d_masked = 0;                    // mask: [B, P]
  std::size_t d_out_sorted = 0, d_x_sorted = 0;  // ragged: [T, B, P], [T, B, I]
  std::size_t weight_blocks = 0;               // [blocks, block floats] (Dims::weight_blocks)
  std::size_t total = 0;

  Layout(const Dims& d, bool keep_all) {
    const std::size_t T = d.T, B = d.B, I = d.I, H = d.H, P = d.P, G = d.G();
    const std::size_t steps = keep_all ? T : 1, extra = d.S() - 1;
    std::size_t at = 0;
    const auto take = [&](std::size_t floats) {
      const std::size_t start = at;
      at += floats;
      return start;
    };
    order = take(d.ragged ? B : 0);
    active = take(d.ragged ? T : 0);
    x_sorted = take(d.ragged ? T * B * I : 0);
    out_slots = take(d.ragged ? (T + 1) * B * P : 0);
    pre = take(d.R() == 0 ? 0 : steps * B * G);
    pre_hidden = take(d.separate() ? steps * B * G : 0);
    projected = take(d.project_all() ? T * B * G : 0);
    states = take((keep_all ? T + 1 : 1) * extra * B * H);
    h_raw = take(d.projection() ? steps * B * H : 0);
    zeros = take(B * (P > H ? P : H));
    masked = take(d.has(d.mask) ? B * P : 0);
    mask_sorted = take(d.has(d.mask) && d.ragged ? B * P : 0);
    bias = take(d.dense() ? G : 0);
    if (keep_all) {
      // Stepwise, a step's weight gradients are taken after every member has its rows' dG, while
      // the members already work on the next step: two steps' buffers, used in turn.
      const std::size_t kept = d.stepwise() ? 2 : T;
      d_gates = take(kept * B * G);
      d_hidden = take(d.separate() ? kept * B * G : 0);
      d_h = take(B * P);
      d_states = take(extra * B * H);
      d_h_raw = take(d.projection() ? B * H : 0);
      d_vectors = take(B * d.V() * H);
      d_projected = take(d.projection() ? kept * B * P : 0);
      masked_steps = take(d.has(d.mask) ? kept * B * P : 0);
      d_masked = take(d.has(d.mask) ? B * P : 0);
      d_out_sorted = take(d.ragged ? T * B * P : 0);
      d_x_sorted = take(d.ragged ? T * B * I : 0);
      const std::size_t blocks = d.weight_blocks();
      weight_blocks = take(blocks > 1 ? blocks * d.weight_block_floats() : 0);
    }
    total = at;
  }
};

}  // namespace recur::detail::recurrence
