#include "distributed/root_only.hpp"

#include <iostream>
#include <ostream>

namespace recur::distributed {
namespace {

// A stream buffer that accepts and drops every character.
class NullBuffer : public std::streambuf {
 protected:
  int overflow(int c) override { return traits_type::not_eof(c); }
  std::streamsize xsputn(const char*, std::streamsize count) override { return count; }
};

NullBuffer& null_buffer() {
  static NullBuffer buffer;
  return buffer;
}

std::ostream& null_stream() {
  static std::ostream stream(&null_buffer());
  return stream;
}

}  // namespace

std::ostream& root_out(const Communicator& comm) {
  return comm.is_root() ? std::cout : null_stream();
}

RootOnlyConsole::RootOnlyConsole(const Communicator& comm) {
  if (comm.is_root()) return;
  std::cout.flush();
  std::cerr.flush();
  saved_out_ = std::cout.rdbuf(&null_buffer());
  saved_err_ = std::cerr.rdbuf(&null_buffer());
}

RootOnlyConsole::~RootOnlyConsole() {
  if (saved_out_ != nullptr) std::cout.rdbuf(saved_out_);
  if (saved_err_ != nullptr) std::cerr.rdbuf(saved_err_);
}

void run_on_root(const std::string& op, const std::function<void()>& work, const Communicator& comm) {
  // Rank 0's outcome: empty when it worked, else the reason, sent to everyone.
  std::string failure;
  if (comm.is_root()) {
    try {
      work();
    } catch (const std::exception& error) {
      failure = error.what();
      if (failure.empty()) failure = "unknown error";
      if (comm.size() == 1) throw;  // one process: the original exception, type and all
    }
  }
  comm.broadcast(failure, 0, op);
  if (!failure.empty()) throw DistributedError(op + " on rank 0: " + failure);
}

void save_checkpoint(const std::string& path, const optim::CheckpointParts& parts,
                     std::uint64_t step, const Communicator& comm) {
  run_on_root("distributed::save_checkpoint",
              [&] { optim::save_checkpoint(path, parts, step); }, comm);
}

std::uint64_t load_checkpoint(const std::string& path, const optim::CheckpointParts& parts,
                              const Communicator& comm) {
  const std::string op = "distributed::load_checkpoint";
  if (comm.size() == 1) return optim::load_checkpoint(path, parts);
  std::uint64_t step = 0;
  std::string failure;
  try {
    step = optim::load_checkpoint(path, parts);
  } catch (const std::exception& error) {
    failure = error.what();
  }
  // The lowest failing rank's reason reaches everyone; the steps must agree too.
  const double failed = comm.allreduce_sum(failure.empty() ? 0.0 : 1.0, op);
  if (failed > 0) {
    std::uint64_t flag = failure.empty() ? ~std::uint64_t{0} : std::uint64_t(comm.rank());
    const std::vector<std::uint64_t> flags = comm.allgather(std::span<const std::uint64_t>(&flag, 1), op);
    int first = 0;
    while (flags[first] == ~std::uint64_t{0}) ++first;
    comm.broadcast(failure, first, op);
    throw DistributedError(op + ": rank " + std::to_string(first) + " could not load " + path +
                           ": " + failure);
  }
  const std::vector<std::uint64_t> steps = comm.allgather(std::span<const std::uint64_t>(&step, 1), op);
  for (int rank = 1; rank < comm.size(); ++rank)
    if (steps[rank] != steps[0])
      throw DistributedError(op + ": rank " + std::to_string(rank) + " read step " +
                             std::to_string(steps[rank]) + " from " + path + ", rank 0 step " +
                             std::to_string(steps[0]) + "; the ranks see different files");
  return step;
}

}  // namespace recur::distributed
