// MPI start-up, shut-down and the collectives, or their one-process stand-ins. The only file
// (with gradients.cpp's packing aside) that includes <mpi.h>, so users of the headers need no
// MPI include path.
#include "distributed/communicator.hpp"

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <exception>
#include <memory>

#ifdef RECUR_DISTRIBUTED_MPI
// The C API only: without these, Open MPI's and MPICH's mpi.h drag in their deprecated C++
// bindings, which need libmpi_cxx at link time.
#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>
#endif

namespace recur::distributed {
namespace {

#ifdef RECUR_DISTRIBUTED_MPI
// Launchers announce themselves in the environment: Open MPI's mpirun (OMPI_*), PMIx (srun
// --mpi=pmix, prrte), PMI-1/2 (MPICH's hydra, srun --mpi=pmi2), MVAPICH. Without one, MPI_Init
// would make a "singleton" job that costs start-up time and needs the runtime's daemons;
// a plain one-process run needs neither.
bool launched_by_mpi() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE", "PMI_RANK",
                           "MV2_COMM_WORLD_SIZE"})
    if (std::getenv(name) != nullptr) return true;
  return false;
}

void check(int code, const std::string& op, const std::string& what) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  throw DistributedError(op + ": " + what + " failed: " + std::string(text, length));
}

// Calls `call(pointer, count)` on pieces of at most INT_MAX elements (MPI counts are int).
template <class T, class Call>
void in_pieces(T* data, std::size_t count, Call call) {
  for (std::size_t done = 0; done < count;) {
    const std::size_t piece = std::min<std::size_t>(count - done, INT_MAX);
    call(data + done, static_cast<int>(piece));
    done += piece;
  }
}

void finalize_at_exit() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
}
#endif

// The one world of this process, created on first use.
std::unique_ptr<Communicator>& world_slot() {
  static std::unique_ptr<Communicator> slot;
  return slot;
}

Communicator& start(int* argc, char*** argv) {
  std::unique_ptr<Communicator>& slot = world_slot();
  if (slot) return *slot;
#ifdef RECUR_DISTRIBUTED_MPI
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (initialized || launched_by_mpi()) {
    if (!initialized) {
      check(MPI_Init(argc, argv), "distributed::world", "MPI_Init");
      std::atexit(finalize_at_exit);  // a program that never names an Environment still ends cleanly
    }
    // Errors come back as codes we turn into exceptions, rather than aborting the job.
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    int rank = 0, size = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    slot = std::make_unique<Communicator>(rank, size, true);
    return *slot;
  }
#else
  (void)argc;
  (void)argv;
#endif
  slot = std::make_unique<Communicator>(0, 1, false);
  return *slot;
}

}  // namespace

bool built_with_mpi() {
#ifdef RECUR_DISTRIBUTED_MPI
  return true;
#else
  return false;
#endif
}

Communicator& world() { return start(nullptr, nullptr); }

Environment::Environment(int& argc, char**& argv) { start(&argc, &argv); }

Environment::~Environment() {
#ifdef RECUR_DISTRIBUTED_MPI
  if (!world().uses_mpi()) return;
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (finalized) return;
  if (std::uncaught_exceptions() > 0) MPI_Abort(MPI_COMM_WORLD, 1);
  MPI_Finalize();
#endif
}

Communicator& Environment::world() const { return distributed::world(); }

void Communicator::check_root(int root, const std::string& op) const {
  if (root < 0 || root >= size_)
    throw DistributedError(op + ": root rank " + std::to_string(root) + " does not exist among " +
                           std::to_string(size_) + " ranks");
}

void Communicator::allreduce_sum(std::span<float> values, const std::string& op) const {
  if (!uses_mpi_ || size_ == 1) return;
#ifdef RECUR_DISTRIBUTED_MPI
  in_pieces(values.data(), values.size(), [&](float* data, int count) {
    check(MPI_Allreduce(MPI_IN_PLACE, data, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD), op,
          "MPI_Allreduce of " + std::to_string(count) + " floats");
  });
#endif
}

void Communicator::allreduce_sum(std::span<double> values, const std::string& op) const {
  if (!uses_mpi_ || size_ == 1) return;
#ifdef RECUR_DISTRIBUTED_MPI
  in_pieces(values.data(), values.size(), [&](double* data, int count) {
    check(MPI_Allreduce(MPI_IN_PLACE, data, count, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD), op,
          "MPI_Allreduce of " + std::to_string(count) + " doubles");
  });
#endif
}

double Communicator::allreduce_sum(double value, const std::string& op) const {
  allreduce_sum(std::span<double>(&value, 1), op);
  return value;
}

void Communicator::broadcast(std::span<float> values, int root, const std::string& op) const {
  check_root(root, op);
  if (!uses_mpi_ || size_ == 1) return;
#ifdef RECUR_DISTRIBUTED_MPI
  in_pieces(values.data(), values.size(), [&](float* data, int count) {
    check(MPI_Bcast(data, count, MPI_FLOAT, root, MPI_COMM_WORLD), op,
          "MPI_Bcast of " + std::to_string(count) + " floats");
  });
#endif
}

void Communicator::broadcast(std::span<std::uint64_t> values, int root, const std::string& op) const {
  check_root(root, op);
  if (!uses_mpi_ || size_ == 1) return;
#ifdef RECUR_DISTRIBUTED_MPI
  in_pieces(values.data(), values.size(), [&](std::uint64_t* data, int count) {
    check(MPI_Bcast(data, count, MPI_UINT64_T, root, MPI_COMM_WORLD), op,
          "MPI_Bcast of " + std::to_string(count) + " integers");
  });
#endif
}

void Communicator::broadcast(std::string& text, int root, const std::string& op) const {
  check_root(root, op);
  if (!uses_mpi_ || size_ == 1) return;
#ifdef RECUR_DISTRIBUTED_MPI
  std::uint64_t length = text.size();
  broadcast(std::span<std::uint64_t>(&length, 1), root, op);
  text.resize(length);
  in_pieces(text.data(), text.size(), [&](char* data, int count) {
    check(MPI_Bcast(data, count, MPI_CHAR, root, MPI_COMM_WORLD), op, "MPI_Bcast of a message");
  });
#endif
}

std::vector<std::uint64_t> Communicator::allgather(std::span<const std::uint64_t> values,
                                                   const std::string& op) const {
  std::vector<std::uint64_t> all(values.size() * static_cast<std::size_t>(size_));
  if (!uses_mpi_ || size_ == 1) {
    std::copy(values.begin(), values.end(), all.begin());
    return all;
  }
#ifdef RECUR_DISTRIBUTED_MPI
  if (values.size() > INT_MAX) throw DistributedError(op + ": allgather of too many values");
  check(MPI_Allgather(values.data(), static_cast<int>(values.size()), MPI_UINT64_T, all.data(),
                      static_cast<int>(values.size()), MPI_UINT64_T, MPI_COMM_WORLD),
        op, "MPI_Allgather of " + std::to_string(values.size()) + " integers");
#endif
  return all;
}

void Communicator::barrier(const std::string& op) const {
  if (!uses_mpi_ || size_ == 1) return;
#ifdef RECUR_DISTRIBUTED_MPI
  check(MPI_Barrier(MPI_COMM_WORLD), op, "MPI_Barrier");
#endif
}

}  // namespace recur::distributed
