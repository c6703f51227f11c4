// Splits in proportion to how fast each member of the team runs (internal to the library; not
// installed). Cores are not equally fast: a vCPU whose physical core the host shares with
// another guest, a hybrid CPU's efficient cores. A region split evenly waits for its slowest
// member; on the 2-vCPU Xeon of docs/performance.md one member of a two-thread LSTM inference
// ran its half of the rows in 7.3 ms and the other in 10 ms for stretches of tens of calls.
// Regions whose members never interact report how long each was busy (report_busy()), and the
// next region gives each member work in proportion to its learned speed (weighted_share()).
// Only splits whose outputs do not depend on the partition may use this (rows of a recurrence,
// which never interact): the results stay bitwise the same whoever runs which rows.
#pragma once

#include <array>
#include <cstddef>

#include "core/kernels/team.hpp"

namespace recur::kernels {

/// A snapshot of the members' relative speeds, taken before a region so that every member of
/// it computes the same partition.
struct MemberWeights {
  static constexpr std::size_t kTracked = 16;  ///< members past this count weigh 1
  std::array<float, kTracked> weight{};
  /// The first `part` members' share of the work of a region of `threads` members.
  double fraction(std::size_t part, std::size_t threads) const;
};

/// The speeds learned so far (all members equal until a region has reported).
MemberWeights member_weights();

/// Member `thread`'s part of [0, count) in proportion to `weights`, in whole `grain`s:
/// contiguous, in member order, covering [0, count) once.
Range weighted_share(std::size_t count, std::size_t thread, std::size_t threads,
                     const MemberWeights& weights, std::size_t grain = 1);

/// Reports a region of `threads` members: member i was busy `seconds[i]` for `work[i]` units of
/// work (rows times steps, say). Members with no work, regions shorter than 50 us (their timing
/// is noise) and one-member regions teach nothing and are ignored. Each report moves the
/// members' weights part of the way towards the speeds it measured, so that one preempted
/// member does not swing the next split.
void report_busy(const double* seconds, const double* work, std::size_t threads);

/// Forgets what was learned: every member weighs 1 again (for tests).
void reset_member_weights();

}  // namespace recur::kernels
