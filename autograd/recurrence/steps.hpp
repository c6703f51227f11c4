// The parts of a recurrence run that the forward and the backward pass share (internal to
// autograd/recurrence/; not installed): where each step's states are, the sorted order of a
// padded batch, and the packed weights kept per thread.
#pragma once

#include <cstddef>
#include <algorithm>
#include <array>
#include <cstring>

#include "autograd/recurrence/plan.hpp"
#include "core/kernels/balance.hpp"
#include "core/kernels/packed_product.hpp"
#include "core/kernels/team.hpp"
#include "core/tensor.hpp"

namespace recur::detail::recurrence {

// Pointers into one run's buffers. `output` is the node's [T, B, P] value; `initial[k]` the
// given initial state k (null when absent); `saved` the node's saved tensor.
struct Buffers {
  const Dims& d;
  const Layout& layout;
  float* saved;
  float* output;
  std::array<const float*, cell::kMaxStates> initial{};
  bool keep_all;
  const float* mask = nullptr;  // the recurrent mask [B, P] in this run's row order, or null

  float* at(std::size_t offset) const { return saved + offset; }
  // Row i of a ragged run is batch row order(i); active(t) rows are still running at time t.
  std::size_t order(std::size_t i) const {
    return d.ragged ? static_cast<std::size_t>(saved[layout.order + i]) : i;
  }
  std::size_t active(std::size_t t) const {
    return d.ragged ? static_cast<std::size_t>(saved[layout.active + t]) : d.B;
  }

  // h (as output and as fed back, P wide) after time t, and before the n-th processed step.
  float* h_after(std::size_t t) const {
    const std::size_t rows = static_cast<std::size_t>(d.B) * d.P;
    return d.ragged ? at(layout.out_slots) + d.slot(t) * rows : output + t * rows;
  }
  const float* h_before(std::size_t n) const {
    const std::size_t rows = static_cast<std::size_t>(d.B) * d.P;
    const std::size_t t = d.time(n);
    if (d.ragged) return at(layout.out_slots) + d.previous_slot(t) * rows;
    if (n > 0) return output + d.time(n - 1) * rows;
    return initial[0] ? initial[0] : at(layout.zeros);
  }
  // State k >= 1 after time t and before it (the same running buffer when not keep_all).
  float* state_after(std::size_t k, std::size_t t) const {
    const std::size_t block = static_cast<std::size_t>(d.B) * d.H;
    const std::size_t slot = keep_all ? d.slot(t) : 0;
    return at(layout.states) + (slot * (d.S() - 1) + (k - 1)) * block;
  }
  float* state_before(std::size_t k, std::size_t t) const {
    const std::size_t block = static_cast<std::size_t>(d.B) * d.H;
    const std::size_t slot = keep_all ? d.previous_slot(t) : 0;
    return at(layout.states) + (slot * (d.S() - 1) + (k - 1)) * block;
  }
  // The step's state k before time t (n-th processed step), as the pointwise step reads it.
  const float* state_in(std::size_t k, std::size_t n) const {
    return k == 0 ? h_before(n) : state_before(k, d.time(n));
  }
  // Pre-activations of time t (the one reused step when not keep_all).
  float* pre(std::size_t t) const {
    const std::size_t block = static_cast<std::size_t>(d.B) * d.G();
    if (d.R() == 0) return at(layout.projected) + t * block;
    return at(layout.pre) + (keep_all ? t : 0) * block;
  }
  float* pre_hidden(std::size_t t) const {
    const std::size_t block = static_cast<std::size_t>(d.B) * d.G();
    return at(layout.pre_hidden) + (keep_all ? t : 0) * block;
  }
  float* h_raw(std::size_t t) const {
    return at(layout.h_raw) + (keep_all ? t : 0) * static_cast<std::size_t>(d.B) * d.H;
  }
  // Where a finished sequence's states are: the time of its last processed step.
  std::size_t last_time(std::size_t i) const {
    if (d.reverse) return 0;
    if (!d.ragged) return d.T - 1;
    std::size_t t = d.T - 1;
    while (t > 0 && active(t) <= i) --t;
    return t;
  }
};

// Members a recurrence's batch is split over (each runs every time step for its rows): at
// least kRowsPerMember rows each, since the packed product's blocks are 4 to 6 rows.
inline constexpr std::size_t kRowsPerMember = 4;
inline std::size_t row_members(const Dims& d) {
  return std::min(kernels::available_threads(),
                  std::max<std::size_t>(1, d.B / kRowsPerMember));
}

// Members a recurrence's hidden units are split over instead of its rows: each member
// multiplies and updates its units of every gate, and all wait at a barrier once per step for
// the whole of h. Chosen when the batch is too small for rows (batch 1 is all latency), and at
// any batch once the packed [W_ih^T; W_hh^T] passes kUnitSplitWeightBytes: split by rows, every
// member streams all of it (and of W_hh in the backward pass) from L3 every step; split by
// units, each streams its share. Two threads, LSTM B 32, H 512 (4.5 MiB): inference took
// 0.875x the time by units, training 0.94x; at H 256 (1.25 MiB) units lost 3-14% (LSTM, GRU,
// RNN inference). Needs a cell that feeds back h only, no projection or recurrent mask, and H a
// multiple of 16 (gate blocks on panel bounds); at least 32 units a member.
inline constexpr std::size_t kUnitSplitWeightBytes = std::size_t{2} << 20;
inline std::size_t unit_members(const Dims& d) {
  const bool large = d.G() * (d.I + d.H) * sizeof(float) > kUnitSplitWeightBytes;
  // Weight gradients summed in blocks of rows need whole rows per member (Dims::weight_blocks).
  if ((d.B >= 2 * kRowsPerMember && !large) || d.R() != 1 || d.projection() ||
      d.has(d.mask) || d.H % 16 || d.weight_blocks() > 1)
    return 1;
  return std::min(kernels::available_threads(), std::max<std::size_t>(1, d.H / 32));
}

// A member's units: whole 16-unit panels.
inline kernels::Range unit_share(const Dims& d, const kernels::TeamMember& member) {
  return kernels::share(d.H, member.thread, member.threads, 16);
}

// A member's rows: contiguous, in proportion to the members' learned speeds (`weights`,
// kernels/balance.hpp: rows never interact, so any partition gives the same results), and in a
// padded batch balanced by the steps they run (sorted space puts the longest sequences first).
// Row i runs row_length(i) steps.
inline std::size_t row_length(const Buffers& buf, std::size_t row) {
  std::size_t low = 0, high = buf.d.T;  // active(t) does not grow with t
  while (low < high) {
    const std::size_t middle = (low + high) / 2;
    if (buf.active(middle) > row) low = middle + 1;
    else high = middle;
  }
  return low;
}
// `grain`: the boundaries fall on multiples of it (the backward's blocks of rows).
inline kernels::Range row_share(const Buffers& buf, const kernels::TeamMember& member,
                                const kernels::MemberWeights& weights, std::size_t grain = 1) {
  const std::size_t B = buf.d.B;
  if (member.threads == 1) return {0, B};
  if (!buf.d.ragged)
    return kernels::weighted_share(B, member.thread, member.threads, weights, grain);
  std::size_t total = 0;
  for (std::size_t row = 0; row < B; ++row) total += row_length(buf, row);
  const auto boundary = [&](std::size_t part) {
    if (part == 0) return std::size_t{0};
    if (part == member.threads) return B;
    // The rows whose middle falls before the member's share of the row-steps (to the nearest).
    const double target = double(total) * weights.fraction(part, member.threads);
    std::size_t row = 0, sum = 0;
    while (row < B && double(sum) + 0.5 * double(row_length(buf, row)) <= target)
      sum += row_length(buf, row++);
    return std::min(B, (row + grain / 2) / grain * grain);
  };
  return {boundary(member.thread), boundary(member.thread + 1)};
}

// The work of rows [begin, end): row-steps, for kernels::report_busy().
inline double row_work(const Buffers& buf, kernels::Range rows) {
  if (!buf.d.ragged) return double(rows.end - rows.begin) * buf.d.T;
  double steps = 0;
  for (std::size_t row = rows.begin; row < rows.end; ++row) steps += double(row_length(buf, row));
  return steps;
}

// Each member's busy time and work in a region split by rows, reported when the region is over
// (kernels::report_busy()) so that the next region splits by the speeds measured.
struct RowTimes {
  static constexpr std::size_t kMembers = kernels::MemberWeights::kTracked;
  std::array<double, kMembers> seconds{}, work{};
  std::size_t members = 0;

  void record(const kernels::TeamMember& member, double busy, double member_work) {
    if (member.thread >= kMembers) return;
    seconds[member.thread] = busy;
    work[member.thread] = member_work;
    if (member.thread == 0) members = member.threads;
  }
  void report() const { kernels::report_busy(seconds.data(), work.data(), members); }
};

// The thread's packed weights for the forward products, the projection and the backward
// products (packed once per sequence; the memory stays with the thread between calls).
struct PackedWeights {
  kernels::PackedRight input;     // [W_ih; W_hh] stacked (dense), or W_ih alone
  kernels::PackedRight hidden;    // W_hh (separate)
  kernels::PackedRight project;   // W_hr^T: h = h_raw W_hr^T
  kernels::PackedRight back_input;    // W_ih: dx = dG W_ih
  kernels::PackedRight back_project;  // W_hr: dh_raw = dh W_hr
  std::array<kernels::PackedRight, cell::kMaxRecurrentStates> back_hidden;  // W_hh column blocks
};
PackedWeights& packed_weights();

// Copies `width` floats of every batch row into sorted order: dst row i = src row order(i).
inline void gather(const Buffers& buf, const float* src, float* dst, std::size_t width) {
  for (std::size_t i = 0; i < buf.d.B; ++i)
    std::copy_n(src + buf.order(i) * width, width, dst + i * width);
}

// The reverse: dst row order(i) += src row i.
inline void scatter_add(const Buffers& buf, const float* src, float* dst, std::size_t width) {
  for (std::size_t i = 0; i < buf.d.B; ++i) {
    float* target = dst + buf.order(i) * width;
    for (std::size_t k = 0; k < width; ++k) target[k] += src[i * width + k];
  }
}

// Adds the column sums of `rows` x `width` values to `sums`.
inline void add_column_sums(const float* values, std::size_t rows, std::size_t width,
                            float* sums) {
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t k = 0; k < width; ++k) sums[k] += values[r * width + k];
}

// a[k] += b[k] for k < count.
inline void add_to(float* a, const float* b, std::size_t count) {
  for (std::size_t k = 0; k < count; ++k) a[k] += b[k];
}

// a[k] = b[k] * mask[k] for k < count.
inline void multiply_into(float* a, const float* b, const float* mask, std::size_t count) {
  for (std::size_t k = 0; k < count; ++k) a[k] = b[k] * mask[k];
}

}  // namespace recur::detail::recurrence
