/// @file
/// What only one rank should do: print, draw progress, write checkpoints. Rank 0 does it; the
/// others agree on whether it worked, so that a failure stops every rank instead of leaving some
/// waiting in a collective.
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <streambuf>
#include <string>

#include "distributed/communicator.hpp"
#include "optim/checkpoint.hpp"

namespace recur::distributed {

/// std::cout on rank 0, a stream that discards everything on the other ranks.
/// @code
/// recur::distributed::root_out() << "step " << step << " loss " << loss << "\n";
/// recur::Progress progress({.total = steps, .out = &recur::distributed::root_out()});
/// @endcode
std::ostream& root_out(const Communicator& comm = world());

/// While it lives, std::cout and std::cerr of every rank but rank 0 go nowhere: a program
/// written for one process prints once under `mpirun -np N`. The streams are restored by the
/// destructor. Files the program writes are not affected.
class RootOnlyConsole {
 public:
  /// Silences std::cout and std::cerr unless this is rank 0 of `comm`.
  explicit RootOnlyConsole(const Communicator& comm = world());
  /// Restores the streams.
  ~RootOnlyConsole();
  RootOnlyConsole(const RootOnlyConsole&) = delete;
  RootOnlyConsole& operator=(const RootOnlyConsole&) = delete;

 private:
  std::streambuf* saved_out_ = nullptr;
  std::streambuf* saved_err_ = nullptr;
};

/// Runs `work` on rank 0 only, then tells every rank whether it succeeded: a recur::Error or
/// std::exception thrown on rank 0 is thrown on every rank as DistributedError, with rank 0's
/// message after `op`. A collective: every rank must call it.
void run_on_root(const std::string& op, const std::function<void()>& work,
                 const Communicator& comm = world());

/// optim::save_checkpoint on rank 0 alone (the ranks' models and optimisers are identical),
/// with every rank returning once the file is complete or throwing if it could not be written.
/// The file is an ordinary checkpoint: a single process loads it with optim::load_checkpoint.
void save_checkpoint(const std::string& path, const optim::CheckpointParts& parts,
                     std::uint64_t step, const Communicator& comm = world());

/// optim::load_checkpoint on every rank (the file must be visible to all: a shared file system,
/// or a copy on every node), returning the step; if any rank fails, every rank throws
/// DistributedError naming the failing rank and its reason. Every rank's `parts` is left
/// untouched when its own load failed.
std::uint64_t load_checkpoint(const std::string& path, const optim::CheckpointParts& parts,
                              const Communicator& comm = world());

}  // namespace recur::distributed
