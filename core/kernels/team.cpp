// The thread team. Workers are started on first use and then wait for regions: a region bumps
// a generation counter, the workers that belong to it run the body, and the caller waits for
// them to report done. Waiting spins for a while (a region per time step or per product comes
// every few microseconds in a training step), then sleeps on the atomic (futex), so an idle
// program burns no core. One region at a time holds the team; a region started by another thread
// meanwhile, or from inside a region, runs on its own caller alone, which gives the same results.
#include "core/kernels/team.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <cblas.h>

#include "core/error.hpp"
#include "core/threads.hpp"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define RECUR_PAUSE() _mm_pause()
#define RECUR_MXCSR 1
#else
#define RECUR_PAUSE() std::this_thread::yield()
#endif

namespace recur {
namespace {

// How a member waits on an atomic. First it spins on the core for 50 us, the gaps between a
// training step's regions (a region per time step or per product). Then it keeps the core but
// yields it to any other runnable thread for up to 5 ms, longer than any stretch a step runs on
// one thread (the loss, the optimiser's bookkeeping), far shorter than a pause between steps.
// Then it sleeps (futex). Times, not counts: one PAUSE is about 10 cycles on AMD's Zen 3 and 140
// on Intel's cores since Skylake. A member that sleeps within a step is a halted vCPU, which a
// hypervisor may hand to another guest: on the 2-vCPU Xeon of docs/performance.md, two-thread
// LSTM steps that spun 20000 PAUSEs and slept had up to 19% of the machine idle and up to a
// third of its time stolen (/proc/stat); with the yielding wait, 8 runs had at most 1% idle
// and 4% stolen. The yield, not a longer spin, keeps that from taking cores from other
// processes: spinning 5 ms made `ctest -j 2` of the thread tests 4x slower.
constexpr auto kSpinTime = std::chrono::microseconds(50);
constexpr auto kYieldTime = std::chrono::milliseconds(5);

template <class T>
T wait_for_change(const std::atomic<T>& value, T old) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  for (unsigned spin = 1;; ++spin) {
    const T now = value.load(std::memory_order_acquire);
    if (now != old) return now;
    RECUR_PAUSE();
    if (spin % 64 == 0 && Clock::now() - start > kSpinTime) break;
  }
  while (Clock::now() - start < kYieldTime) {
    std::this_thread::yield();
    const T now = value.load(std::memory_order_acquire);
    if (now != old) return now;
  }
  value.wait(old, std::memory_order_acquire);
  return value.load(std::memory_order_acquire);
}

int threads_from_environment() {
  for (const char* name : {"RECUR_NUM_THREADS", "OPENBLAS_NUM_THREADS"}) {
    if (const char* text = std::getenv(name)) {
      char* end = nullptr;
      const long value = std::strtol(text, &end, 10);
      if (end != text && *end == '\0' && value >= 1) return static_cast<int>(std::min(value, 256L));
    }
  }
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

std::atomic<int> configured_threads{0};  // 0: not read from the environment yet
std::atomic<bool> flush_denormals{true};

// Flushes denormals to zero on this thread while it lives (set_flush_denormal), then puts the
// thread's floating-point mode back.
class DenormalsFlushed {
 public:
  DenormalsFlushed() {
#ifdef RECUR_MXCSR
    saved_ = _mm_getcsr();
    if (flush_denormals.load(std::memory_order_relaxed)) _mm_setcsr(saved_ | 0x8040u);  // FTZ|DAZ
#endif
  }
  ~DenormalsFlushed() {
#ifdef RECUR_MXCSR
    _mm_setcsr(saved_);
#endif
  }
  DenormalsFlushed(const DenormalsFlushed&) = delete;
  DenormalsFlushed& operator=(const DenormalsFlushed&) = delete;

 private:
  unsigned saved_ = 0;
};
thread_local int thread_limit = 1 << 30;
thread_local bool in_region = false;

// A sense-reversing barrier for the members of the current region.
struct Barrier {
  std::atomic<std::size_t> arrived{0};
  std::atomic<std::uint64_t> phase{0};
  std::size_t members = 1;

  void wait() {
    const std::uint64_t current = phase.load(std::memory_order_acquire);
    if (arrived.fetch_add(1, std::memory_order_acq_rel) + 1 == members) {
      arrived.store(0, std::memory_order_relaxed);
      phase.store(current + 1, std::memory_order_release);
      phase.notify_all();
      return;
    }
    wait_for_change(phase, current);
  }
};

class Team {
 public:
  static Team& instance() {
    static Team team;
    return team;
  }

  ~Team() {
    stopping_.store(true, std::memory_order_release);
    generation_.fetch_add(1, std::memory_order_release);
    generation_.notify_all();
    for (std::thread& worker : workers_) worker.join();
  }

  // Runs body on `threads` members if the team is free, else on the caller alone.
  void run(std::size_t threads, kernels::FunctionRef<void(const kernels::TeamMember&)> body) {
    std::unique_lock lock(busy_, std::try_to_lock);
    if (!lock.owns_lock() || threads <= 1) {
      run_alone(body);
      return;
    }
    ensure_workers(threads - 1);
    body_ = &body;
    members_ = threads;
    barrier_.members = threads;
    done_.store(0, std::memory_order_relaxed);
    generation_.fetch_add(1, std::memory_order_release);
    generation_.notify_all();
    in_region = true;
    {
      const DenormalsFlushed mode;
      body(kernels::TeamMember{0, threads});
    }
    in_region = false;
    // Every worker reports, members or not, so the next region starts from a quiet team.
    const std::size_t workers = workers_.size();
    for (std::size_t seen = done_.load(std::memory_order_acquire); seen < workers;)
      seen = wait_for_change(done_, seen);
  }

  void barrier() { barrier_.wait(); }
  std::size_t members() const { return members_; }

 private:
  void run_alone(kernels::FunctionRef<void(const kernels::TeamMember&)>& body) {
    const bool outer = in_region;
    in_region = true;
    {
      const DenormalsFlushed mode;
      body(kernels::TeamMember{0, 1});
    }
    in_region = outer;
  }

  void ensure_workers(std::size_t count) {
    while (workers_.size() < count) {
      const std::size_t index = workers_.size() + 1;
      workers_.emplace_back([this, index, start = generation_.load()] { work(index, start); });
    }
  }

  void work(std::size_t index, std::uint64_t seen) {
    in_region = true;  // a region inside a member runs alone
    for (;;) {
      seen = wait_for_change(generation_, seen);
      if (stopping_.load(std::memory_order_acquire)) return;
      if (index < members_) {
        const DenormalsFlushed mode;
        (*body_)(kernels::TeamMember{index, members_});
      }
      done_.fetch_add(1, std::memory_order_acq_rel);
      done_.notify_one();
    }
  }

  std::mutex busy_;
  std::vector<std::thread> workers_;
  std::atomic<std::uint64_t> generation_{0};
  std::atomic<std::size_t> done_{0};
  std::atomic<bool> stopping_{false};
  kernels::FunctionRef<void(const kernels::TeamMember&)>* body_ = nullptr;
  std::size_t members_ = 1;
  Barrier barrier_;
};

}  // namespace

void set_num_threads(int threads) {
  if (threads < 1)
    throw ValueError("set_num_threads: need at least 1 thread, got " + std::to_string(threads));
  configured_threads.store(threads, std::memory_order_relaxed);
  // recur's team does the splitting; each member calls OpenBLAS with one thread of its own.
  openblas_set_num_threads(1);
}

int num_threads() {
  int threads = configured_threads.load(std::memory_order_relaxed);
  if (threads == 0) {
    threads = threads_from_environment();
    int expected = 0;
    if (configured_threads.compare_exchange_strong(expected, threads)) openblas_set_num_threads(1);
    else threads = expected;
  }
  return threads;
}

void set_flush_denormal(bool on) { flush_denormals.store(on, std::memory_order_relaxed); }

bool flush_denormal() { return flush_denormals.load(std::memory_order_relaxed); }

ThreadLimit::ThreadLimit(int threads) : previous_(thread_limit) {
  if (threads < 1)
    throw ValueError("ThreadLimit: need at least 1 thread, got " + std::to_string(threads));
  thread_limit = std::min(thread_limit, threads);
}

ThreadLimit::~ThreadLimit() { thread_limit = previous_; }

namespace kernels {

void TeamMember::barrier() const {
  if (threads > 1) Team::instance().barrier();
}

std::size_t available_threads() {
  if (in_region) return 1;
  return static_cast<std::size_t>(std::max(1, std::min(num_threads(), thread_limit)));
}

void run_team(std::size_t threads, FunctionRef<void(const TeamMember&)> body) {
  threads = std::max<std::size_t>(1, std::min(threads, available_threads()));
  if (threads == 1) {
    const bool outer = in_region;
    in_region = true;
    {
      const DenormalsFlushed mode;
      body(TeamMember{0, 1});
    }
    in_region = outer;
    return;
  }
  Team::instance().run(threads, body);
}

void parallel_for(std::size_t count, std::size_t grain, std::size_t min_per_thread,
                  FunctionRef<void(std::size_t, std::size_t)> body) {
  const std::size_t most =
      min_per_thread ? std::max<std::size_t>(1, count / min_per_thread) : count;
  const std::size_t threads = std::min(available_threads(), most);
  if (count == 0) return;
  // One member runs through run_team too, so that it flushes denormals as a team of several
  // does: otherwise a denormal would be kept on one thread and flushed on two.
  run_team(threads, [&](const TeamMember& member) {
    const Range part = share(count, member.thread, member.threads, grain);
    if (part.begin < part.end) body(part.begin, part.end);
  });
}

void fill_on_team(float* data, std::size_t count, float value) {
  parallel_for(count, 16, std::size_t{1} << 16,
               [&](std::size_t i0, std::size_t i1) { std::fill(data + i0, data + i1, value); });
}

}  // namespace kernels
}  // namespace recur
