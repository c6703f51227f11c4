// Independent trainings spread over worker threads. Each job trains its own model on its own
// tape with its own seeded generators, and recur keeps the default generator and grad mode per
// thread (docs/threads.md), so the numbers do not depend on how many workers run them.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "core/threads.hpp"

namespace recur::examples {

/// Calls `job(i)` for every i in [0, count) on up to `workers` threads (the calling thread is
/// one of them), taking the jobs in order. The first exception a job throws is rethrown here
/// after every worker has stopped; jobs not yet started are then skipped. When jobs run side by
/// side, each runs on its own thread alone (recur::ThreadLimit); a job that runs by itself gets
/// recur's whole thread team. The results are the same either way.
inline void parallel_for(std::size_t workers, std::size_t count,
                         const std::function<void(std::size_t)>& job) {
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  std::exception_ptr error;
  std::mutex error_mutex;
  const std::size_t extra = std::min(workers, count) > 1 ? std::min(workers, count) - 1 : 0;
  auto work = [&] {
    const ThreadLimit alone(extra > 0 ? 1 : 1 << 20);
    for (std::size_t i = next++; i < count && !failed; i = next++) {
      try {
        job(i);
      } catch (...) {
        std::lock_guard lock(error_mutex);
        if (!error) error = std::current_exception();
        failed = true;
      }
    }
  };
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < extra; ++t) threads.emplace_back(work);
  work();
  for (std::thread& thread : threads) thread.join();
  if (error) std::rethrow_exception(error);
}

/// Worker threads to use by default: one per core, each training on one thread.
inline std::size_t default_workers() {
  return std::max<std::size_t>(1, std::thread::hardware_concurrency());
}

}  // namespace recur::examples
