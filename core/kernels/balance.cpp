// The members' learned speeds: one weight per member index, kept as atomics so that a report
// from one thread and a snapshot from another never race (regions of different threads may
// overlap in time; only the team's holder has several members).
#include "core/kernels/balance.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>

namespace recur::kernels {
namespace {

// Each weight minus 1, so that the zero-initialised start weighs every member 1.
std::array<std::atomic<float>, MemberWeights::kTracked> weight_excess;

float load_weight(std::size_t i) { return 1.0f + weight_excess[i].load(std::memory_order_relaxed); }
void store_weight(std::size_t i, double w) {
  weight_excess[i].store(static_cast<float>(w - 1.0), std::memory_order_relaxed);
}

// How far one report moves a weight towards what it measured, and the most one report may
// claim a member is faster or slower than the region's average: a member preempted for a time
// slice once should cost the next few splits little.
constexpr double kStep = 0.3;
constexpr double kMostSkew = 2.0;
constexpr double kShortestRegion = 50e-6;  // seconds

}  // namespace

double MemberWeights::fraction(std::size_t part, std::size_t threads) const {
  const auto of = [&](std::size_t i) { return i < kTracked ? double(weight[i]) : 1.0; };
  double before = 0, total = 0;
  for (std::size_t i = 0; i < threads; ++i) {
    if (i < part) before += of(i);
    total += of(i);
  }
  return total > 0 ? before / total : double(part) / double(threads);
}

MemberWeights member_weights() {
  MemberWeights snapshot;
  for (std::size_t i = 0; i < MemberWeights::kTracked; ++i) snapshot.weight[i] = load_weight(i);
  return snapshot;
}

Range weighted_share(std::size_t count, std::size_t thread, std::size_t threads,
                     const MemberWeights& weights, std::size_t grain) {
  const std::size_t grains = (count + grain - 1) / grain;
  const auto boundary = [&](std::size_t part) {
    if (part == 0) return std::size_t{0};
    if (part >= threads) return count;
    // To the nearest grain: rounding down gave a member of weight 0.985 in two 15 rows of 32.
    const auto whole = static_cast<std::size_t>(
        std::lround(double(grains) * weights.fraction(part, threads)));
    return std::min(count, std::min(whole, grains) * grain);
  };
  return {boundary(thread), std::max(boundary(thread), boundary(thread + 1))};
}

void report_busy(const double* seconds, const double* work, std::size_t threads) {
  threads = std::min(threads, MemberWeights::kTracked);
  if (threads < 2) return;
  double longest = 0, mean_speed = 0;
  for (std::size_t i = 0; i < threads; ++i) {
    if (!(work[i] > 0) || !(seconds[i] > 0)) return;
    longest = std::max(longest, seconds[i]);
    mean_speed += work[i] / seconds[i] / double(threads);
  }
  if (longest < kShortestRegion) return;
  double mean_weight = 0;
  std::array<double, MemberWeights::kTracked> updated{};
  for (std::size_t i = 0; i < threads; ++i) {
    const double measured =
        std::clamp(work[i] / seconds[i] / mean_speed, 1.0 / kMostSkew, kMostSkew);
    const double old = load_weight(i);
    updated[i] = old + kStep * (measured - old);
    mean_weight += updated[i] / double(threads);
  }
  // Weights are relative: keep the region's members averaging 1.
  for (std::size_t i = 0; i < threads; ++i)
    store_weight(i, updated[i] / mean_weight);
}

void reset_member_weights() {
  for (std::size_t i = 0; i < MemberWeights::kTracked; ++i) store_weight(i, 1.0);
}

}  // namespace recur::kernels
