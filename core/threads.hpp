/// @file
/// How many threads recur uses, and a cap for the calls of one thread.
///
/// recur runs a training step on a team of threads: a recurrence splits its batch rows (or, for
/// small batches and for a layer whose packed weights pass 2 MiB, its hidden units) over the
/// team, large matrix products split their outputs,
/// Adam and AdamW split the elements of a large parameter, and cross_entropy splits its rows.
/// OpenBLAS is then called single-threaded by each member of the team, so the two never
/// compete for the cores. Every split keeps each output element's arithmetic in one fixed order,
/// so results are bitwise the same for any thread count (tests/threads/thread_team_test.cpp,
/// threads_bitwise_test.cpp). See @ref threads "Threads".
#pragma once

namespace recur {

/// Sets the threads recur's team has, OpenBLAS included (which recur calls from each member of
/// the team with one thread of its own). The default is the environment variable
/// RECUR_NUM_THREADS, else OPENBLAS_NUM_THREADS, else every core of the machine.
/// @code
/// recur::set_num_threads(2);   // two cores for every step from now on
/// @endcode
/// @param threads At least 1.
/// @throws recur::ValueError for 0 or less.
void set_num_threads(int threads);

/// The threads recur's team has (set_num_threads()).
int num_threads();

/// Whether recur's team flushes denormal floats to zero while it works (x86's FTZ and DAZ
/// modes, in each member for the length of a region: the recurrences and the large products).
/// On by default. A gradient carried back through hundreds of steps decays into denormals
/// (below 1.2e-38), where each operation costs tens of cycles: an LSTM's training step at T 512
/// was up to 10x slower with them (examples/memory_horizon's sequence_cost). Flushed, such values
/// become 0 instead of a number no float arithmetic after them would keep anyway. PyTorch calls
/// this torch.set_flush_denormal (off by default there).
/// @param on True to flush (the default), false to keep IEEE gradual underflow.
void set_flush_denormal(bool on);

/// Whether recur's team flushes denormals to zero (set_flush_denormal()).
bool flush_denormal();

/// While it lives, caps the threads that the calling thread's own recur calls may use: a program
/// that runs several trainings in threads of its own gives each one `ThreadLimit limit(1)`, so
/// that recur's team does not try to serve all of them at once. Limits nest; the smallest wins.
class ThreadLimit {
 public:
  /// Caps this thread's calls at `threads` (at least 1).
  /// @throws recur::ValueError for 0 or less.
  explicit ThreadLimit(int threads);
  ~ThreadLimit();
  ThreadLimit(const ThreadLimit&) = delete;
  ThreadLimit& operator=(const ThreadLimit&) = delete;

 private:
  int previous_;
};

}  // namespace recur
