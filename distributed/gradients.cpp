#include "distributed/gradients.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>

namespace recur::distributed {
namespace {

// [number of parameters, number of values, a hash of every shape]: equal on every rank when the
// models are built alike.
std::array<std::uint64_t, 3> layout_of(const std::vector<Parameter*>& params) {
  std::uint64_t values = 0, hash = 1469598103934665603ull;  // FNV-1a over the dimensions
  for (const Parameter* param : params) {
    values += param->value.size();
    for (std::size_t dim : param->value.shape()) hash = (hash ^ dim) * 1099511628211ull;
    hash = (hash ^ 0xffu) * 1099511628211ull;  // marks the end of a shape
  }
  return {params.size(), values, hash};
}

// Throws the same error on every rank when some rank's parameters differ from rank 0's.
void check_same_layout(const std::vector<Parameter*>& params, const Communicator& comm,
                       const std::string& op) {
  const std::array<std::uint64_t, 3> mine = layout_of(params);
  const std::vector<std::uint64_t> all = comm.allgather(mine, op);
  for (int rank = 1; rank < comm.size(); ++rank) {
    const std::uint64_t* theirs = all.data() + 3 * rank;
    if (theirs[0] == all[0] && theirs[1] == all[1] && theirs[2] == all[2]) continue;
    std::string message = op + ": rank " + std::to_string(rank) + " has " +
                          std::to_string(theirs[0]) + " parameters (" + std::to_string(theirs[1]) +
                          " values), rank 0 has " + std::to_string(all[0]) + " (" +
                          std::to_string(all[1]) + " values)";
    if (theirs[0] == all[0] && theirs[1] == all[1]) message += " but of other shapes";
    throw DistributedError(message + "; every rank must build the same model");
  }
}

std::vector<Parameter*> trainable(const std::vector<Parameter*>& params, const std::string& op) {
  std::vector<Parameter*> out;
  for (Parameter* param : params) {
    if (param == nullptr) throw ValueError(op + ": a parameter pointer is null");
    if (param->requires_grad) out.push_back(param);
  }
  return out;
}

}  // namespace

void broadcast_parameters(nn::Module& module, int root, const Communicator& comm) {
  broadcast_parameters(module.parameters(), root, comm);
}

void broadcast_parameters(const std::vector<Parameter*>& params, int root, const Communicator& comm) {
  const std::string op = "broadcast_parameters";
  for (const Parameter* param : params)
    if (param == nullptr) throw ValueError(op + ": a parameter pointer is null");
  check_same_layout(params, comm, op);
  if (comm.size() == 1) return;
  // Parameters are separate tensors; one message each is fine for a once-per-run call.
  for (Parameter* param : params) {
    comm.broadcast(std::span<float>(param->value.data(), param->value.size()), root, op);
    param->bump_version();
  }
}

GradientAverager::GradientAverager(const std::vector<Parameter*>& params, const Communicator& comm,
                                   AveragerOptions options)
    : params_(trainable(params, "GradientAverager")), comm_(&comm) {
  const std::string op = "GradientAverager";
  if (options.bucket_bytes < 2 * sizeof(float))
    throw ValueError(op + ": bucket_bytes must be at least " + std::to_string(2 * sizeof(float)) +
                     ", got " + std::to_string(options.bucket_bytes));
  check_same_layout(params_, comm, op);
  for (const Parameter* param : params_) total_values_ += param->value.size();
  // The flat vector is [weight, every gradient...]; buckets are consecutive pieces of it.
  const std::size_t flat = total_values_ + 1;
  bucket_values_ = std::min(flat, options.bucket_bytes / sizeof(float));
  for (std::size_t start = 0; start < flat; start += bucket_values_) bucket_starts_.push_back(start);
  if (comm.size() > 1) buffer_.resize(bucket_values_);
}

void GradientAverager::average(double weight) {
  const std::string op = "GradientAverager::average";
  if (!std::isfinite(weight) || weight < 0)
    throw ValueError(op + ": the weight must be finite and >= 0, got " + std::to_string(weight));
  for (const Parameter* param : params_)
    if (param->grad.size() != param->value.size())
      throw DistributedError(op + ": a gradient has " + std::to_string(param->grad.size()) +
                             " values, its parameter " + std::to_string(param->value.size()));
  last_ = {};
  if (comm_->size() == 1) return;  // the mean over one rank is its own gradient

  // Walks the flat vector [weight, grads...] bucket by bucket; `param_index`/`param_offset`
  // say where in the gradients the current bucket starts.
  const std::size_t flat = total_values_ + 1;
  std::size_t param_index = 0, param_offset = 0;
  float total_weight = 0;
  const float local_weight = static_cast<float>(weight);
  for (std::size_t start : bucket_starts_) {
    const std::size_t count = std::min(bucket_values_, flat - start);
    // Pack: weight * grad into the buffer.
    std::size_t filled = 0;
    if (start == 0) buffer_[filled++] = local_weight;
    std::size_t index = param_index, offset = param_offset;
    while (filled < count) {
      const Tensor& grad = params_[index]->grad;
      const std::size_t take = std::min(count - filled, grad.size() - offset);
      const float* source = grad.data() + offset;
      for (std::size_t i = 0; i < take; ++i) buffer_[filled + i] = local_weight * source[i];
      filled += take;
      offset += take;
      if (offset == grad.size()) ++index, offset = 0;
    }
    comm_->allreduce_sum(std::span<float>(buffer_.data(), count), op);
    ++last_.allreduce_calls;
    last_.bytes += count * sizeof(float);

    // Unpack: divided by the ranks' total weight, which the first bucket carried.
    std::size_t used = 0;
    if (start == 0) {
      total_weight = buffer_[used++];
      if (!(total_weight > 0))
        throw DistributedError(op + ": the ranks' weights sum to " + std::to_string(total_weight) +
                               "; at least one rank must have a non-empty batch");
    }
    while (used < count) {
      Tensor& grad = params_[param_index]->grad;
      const std::size_t take = std::min(count - used, grad.size() - param_offset);
      float* target = grad.data() + param_offset;
      for (std::size_t i = 0; i < take; ++i) target[i] = buffer_[used + i] / total_weight;
      used += take;
      param_offset += take;
      if (param_offset == grad.size()) ++param_index, param_offset = 0;
    }
  }
  total_.allreduce_calls += last_.allreduce_calls;
  total_.bytes += last_.bytes;
}

CommunicationStats allreduce_gradients(const std::vector<Parameter*>& params,
                                       const Communicator& comm, AveragerOptions options) {
  GradientAverager averager(params, comm, options);
  averager.average();
  return averager.last_stats();
}

}  // namespace recur::distributed
