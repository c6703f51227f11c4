// recur's thread team (internal to the library; not installed): persistent workers that a
// parallel region wakes, a spin barrier for regions that synchronise every time step, and the
// static splits the kernels use. A region's work is split by the number of members it gets, so
// every split must keep each output element's arithmetic in one order whatever that number is
// (split outputs, never a sum): then results are bitwise the same on any thread count.
#pragma once

#include <cstddef>
#include <type_traits>
#include <utility>

namespace recur::kernels {

/// A non-owning reference to a callable, without an allocation (std::function may allocate).
template <class Signature>
class FunctionRef;

template <class R, class... Args>
class FunctionRef<R(Args...)> {
 public:
  template <class F,
            class = std::enable_if_t<!std::is_same_v<std::decay_t<F>, FunctionRef>>>
  FunctionRef(F&& function)  // NOLINT: implicit, like std::function
      : object_(const_cast<void*>(static_cast<const void*>(&function))),
        call_([](void* object, Args... args) -> R {
          return (*static_cast<std::remove_reference_t<F>*>(object))(std::forward<Args>(args)...);
        }) {}
  R operator()(Args... args) const { return call_(object_, std::forward<Args>(args)...); }

 private:
  void* object_;
  R (*call_)(void*, Args...);
};

/// What a member of a parallel region knows: its index, the region's size, and the region's
/// barrier.
class TeamMember {
 public:
  std::size_t thread;   ///< 0 for the calling thread, 1 .. threads - 1 for workers
  std::size_t threads;  ///< Members of this region.
  /// Waits until every member of the region has reached this point (a spin barrier: cheap
  /// enough to run once or twice per time step).
  void barrier() const;
};

/// The members a region started now by this thread would get: recur::num_threads(), capped by
/// the thread's recur::ThreadLimit, and 1 inside a region or while another thread's region
/// holds the team.
std::size_t available_threads();

/// Runs `body` on `threads` members (the caller is member 0, at most available_threads()) and
/// returns when all have. The body must not throw (a member stuck at a barrier would wait for
/// ever): it runs under noexcept. With one thread it is a plain call.
void run_team(std::size_t threads, FunctionRef<void(const TeamMember&)> body);

/// Member `thread`'s part of [0, count) split into `threads` contiguous parts of whole `grain`s
/// (the last part takes the remainder).
struct Range {
  std::size_t begin, end;
};
inline Range share(std::size_t count, std::size_t thread, std::size_t threads,
                   std::size_t grain = 1) {
  const std::size_t grains = (count + grain - 1) / grain;
  const std::size_t first = grains * thread / threads, last = grains * (thread + 1) / threads;
  const std::size_t begin = first * grain, end = last * grain;
  return {begin < count ? begin : count, end < count ? end : count};
}

/// Calls `body(begin, end)` on parts of [0, count) split over the team, in whole `grain`s and at
/// least `min_per_thread` items per member (fewer members when there is little work).
void parallel_for(std::size_t count, std::size_t grain, std::size_t min_per_thread,
                  FunctionRef<void(std::size_t, std::size_t)> body);

/// Sets [data, data + count) to `value` split over the team, 64K floats or more a member (a
/// fill: any split gives the same): gradients of a few MiB are zeroed every step.
void fill_on_team(float* data, std::size_t count, float value);

}  // namespace recur::kernels
