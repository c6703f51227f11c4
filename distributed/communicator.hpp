/// @file
/// The processes of a data-parallel run: MPI start-up and shut-down, rank and size, and the few
/// collective operations training needs. A program started without `mpirun` is a run of one
/// process, and every collective is then a local no-op, so the same binary serves both.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace recur::distributed {

/// A collective operation that failed or that the ranks disagree about: the message names the
/// operation, the ranks and the sizes, e.g. `GradientAverager: rank 1 has 6 parameters (4210
/// values), rank 0 has 5 (4170 values)`.
class DistributedError : public Error {
 public:
  using Error::Error;
};

/// True when recur was built with MPI (`RECUR_WITH_MPI`); false means every run is one process.
bool built_with_mpi();

/// The group of processes of a run (MPI_COMM_WORLD): who am I, how many are we, and the
/// collective operations, each named by `op` in its error messages.
///
/// Without MPI, or in a program not started by a launcher (`mpirun`, `srun`), the group is this
/// process alone: rank 0 of 1, and the collectives leave their data as it is.
/// @code
/// recur::distributed::Communicator& world = recur::distributed::world();
/// if (world.is_root()) std::cout << world.size() << " processes\n";
/// @endcode
class Communicator {
 public:
  /// This process's number, 0 to size() - 1.
  int rank() const { return rank_; }
  /// The number of processes.
  int size() const { return size_; }
  /// True on rank 0, the one that logs and writes checkpoints.
  bool is_root() const { return rank_ == 0; }
  /// True when the processes talk through MPI (a launcher started them); false for one process.
  bool uses_mpi() const { return uses_mpi_; }

  /// Replaces `values` on every rank by their element-wise sum over the ranks (MPI_Allreduce,
  /// in place). Every rank must pass the same number of values.
  void allreduce_sum(std::span<float> values, const std::string& op) const;
  /// @copydoc allreduce_sum(std::span<float>, const std::string&) const
  void allreduce_sum(std::span<double> values, const std::string& op) const;
  /// The sum of `value` over the ranks, on every rank.
  double allreduce_sum(double value, const std::string& op) const;
  /// Copies `values` of rank `root` to every rank (MPI_Bcast).
  void broadcast(std::span<float> values, int root, const std::string& op) const;
  /// @copydoc broadcast(std::span<float>, int, const std::string&) const
  void broadcast(std::span<std::uint64_t> values, int root, const std::string& op) const;
  /// Copies `text` of rank `root` to every rank (any length).
  void broadcast(std::string& text, int root, const std::string& op) const;
  /// Every rank's `values` (each rank passing the same count), concatenated in rank order.
  std::vector<std::uint64_t> allgather(std::span<const std::uint64_t> values,
                                       const std::string& op) const;
  /// Waits until every rank has called barrier().
  void barrier(const std::string& op) const;

  /// The communicator of MPI_COMM_WORLD, or of this process alone; use world() to get it.
  /// @private
  Communicator(int rank, int size, bool uses_mpi) : rank_(rank), size_(size), uses_mpi_(uses_mpi) {}

 private:
  void check_root(int root, const std::string& op) const;

  int rank_ = 0;
  int size_ = 1;
  bool uses_mpi_ = false;
};

/// The communicator of every process of the run. The first call starts MPI when a launcher
/// started this process (and registers its shut-down at exit); later calls return the same one.
/// Programs that want start-up and shut-down at fixed points hold an Environment instead.
Communicator& world();

/// Starts MPI for the lifetime of this object and shuts it down in the destructor (RAII).
/// Optional: world() starts MPI on first use. MPI is started only when a launcher (`mpirun`,
/// `mpiexec`, `srun`) started the process; otherwise the run is one process without MPI.
/// @code
/// int main(int argc, char** argv) {
///   recur::distributed::Environment environment(argc, argv);
///   auto& world = environment.world();
///   ...
/// }
/// @endcode
class Environment {
 public:
  /// Starts MPI (if launched by mpirun) with the program's arguments.
  Environment(int& argc, char**& argv);
  /// Shuts MPI down; during an exception's unwinding it aborts every rank instead, so that the
  /// others do not wait forever in a collective this rank will never join.
  ~Environment();
  Environment(const Environment&) = delete;
  Environment& operator=(const Environment&) = delete;
  /// The communicator of every process: world().
  Communicator& world() const;
};

}  // namespace recur::distributed
