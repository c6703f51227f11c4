/// @file
/// Keeping the ranks' models identical: the initial parameters broadcast from rank 0, and after
/// every backward pass the gradients averaged over the ranks in a few large messages.
#pragma once

#include <cstddef>
#include <vector>

#include "autograd/parameter.hpp"
#include "distributed/communicator.hpp"
#include "layers/module.hpp"

namespace recur::distributed {

/// Copies the parameter values of rank `root` to every rank, so that all start from the same
/// model whatever their seeds. Checks first that every rank has the same parameters (count and
/// shapes) and throws DistributedError on every rank if not.
/// @code
/// recur::distributed::broadcast_parameters(model);   // after building, before the optimiser's first step
/// @endcode
void broadcast_parameters(nn::Module& module, int root = 0, const Communicator& comm = world());
/// Copies the values of `params` on rank `root` to every rank; the ranks' lists must agree
/// (count and shapes), else every rank throws DistributedError.
void broadcast_parameters(const std::vector<Parameter*>& params, int root = 0,
                          const Communicator& comm = world());

/// Options of GradientAverager.
struct AveragerOptions {
  /// Most bytes of gradient per MPI_Allreduce (PyTorch DDP's bucket_cap_mb is 25 MB): large
  /// messages reach the network's bandwidth, few of them keep the per-call latency small.
  std::size_t bucket_bytes = 25u << 20;
};

/// What one call of GradientAverager::average() sent, per rank.
struct CommunicationStats {
  std::size_t allreduce_calls = 0;  ///< MPI_Allreduce calls (0 for one process).
  std::size_t bytes = 0;            ///< Bytes each rank contributed to them.
};

/// Averages the gradients of a fixed list of parameters over the ranks after backward.
///
/// The gradients are seen as one long vector (parameters in order, those that require a
/// gradient), cut into buckets of at most `bucket_bytes`; each bucket is copied into one
/// contiguous buffer, summed over the ranks by one MPI_Allreduce, and copied back divided by the
/// ranks' total weight. With weights equal to each rank's batch size, the result is exactly the
/// gradient of the mean loss over the global batch, even when the shards differ in size.
/// @code
/// recur::distributed::GradientAverager averager(model.parameters());
/// tape.backward(loss);                  // loss: the mean over this rank's shard of size b
/// averager.average(b);                  // now every rank holds the global batch's gradient
/// recur::optim::clip_grad_norm(model.parameters(), 1.0);
/// optimizer.step();
/// @endcode
class GradientAverager {
 public:
  /// An averager of `params`' gradients over `comm`. Throws DistributedError on every rank when
  /// the ranks' parameter lists differ (count or shapes).
  explicit GradientAverager(const std::vector<Parameter*>& params, const Communicator& comm = world(),
                            AveragerOptions options = {});

  /// Replaces each gradient by the weighted mean over the ranks,
  /// sum_r weight_r * grad_r / sum_r weight_r. Every rank must call it, in the same step.
  /// Throws recur::ValueError for a negative or non-finite weight, DistributedError when the
  /// weights sum to 0 or a gradient's shape changed.
  void average(double weight = 1.0);

  /// The number of buckets, i.e. MPI_Allreduce calls per average() when there are several ranks.
  std::size_t num_buckets() const { return bucket_starts_.size(); }
  /// The number of gradient values averaged per call.
  std::size_t num_values() const { return total_values_; }
  /// What the last average() sent.
  const CommunicationStats& last_stats() const { return last_; }
  /// What every average() so far sent, summed.
  const CommunicationStats& total_stats() const { return total_; }

 private:
  std::vector<Parameter*> params_;
  const Communicator* comm_;
  std::size_t total_values_ = 0;
  std::size_t bucket_values_ = 0;
  std::vector<std::size_t> bucket_starts_;  // offsets in the flat vector [weight, grads...]
  std::vector<float> buffer_;
  CommunicationStats last_, total_;
};

/// Averages the gradients of `params` over the ranks once (a GradientAverager used for one
/// call, with equal weights); returns what it sent. A training loop keeps one GradientAverager
/// instead, which allocates its buffer once.
CommunicationStats allreduce_gradients(const std::vector<Parameter*>& params,
                                       const Communicator& comm = world(),
                                       AveragerOptions options = {});

}  // namespace recur::distributed
