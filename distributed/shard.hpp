/// @file
/// Sharding: which part of a dataset or a batch each rank works on.
#pragma once

#include <cstddef>

#include "core/tensor.hpp"
#include "distributed/communicator.hpp"

namespace recur::distributed {

/// A contiguous range [begin, end) of items (examples, sequences, streams).
struct Shard {
  std::size_t begin = 0;  ///< First item.
  std::size_t end = 0;    ///< One past the last item.
  /// The number of items.
  std::size_t size() const { return end - begin; }
};

/// Rank `rank`'s part of `count` items split over `size` ranks: contiguous, in rank order, the
/// sizes differing by at most one (the first `count % size` ranks get one more).
/// Throws recur::ValueError when `size` is 0 or `rank` is not in [0, size).
/// @code
/// auto [begin, end] = recur::distributed::shard(50000, world.rank(), world.size());
/// @endcode
Shard shard(std::size_t count, int rank, int size);

/// This process's part of `count` items over the ranks of `comm`.
Shard shard(std::size_t count, const Communicator& comm = world());

/// The entries of `batch` at positions [part.begin, part.end) along `axis` (a copy): a rank's
/// share of a batch that every rank drew alike, e.g. columns of time-major tokens [T, B] with
/// axis 1, or labels [B] with axis 0. Throws recur::ShapeError for an axis or range outside
/// the tensor.
IndexTensor take_shard(const IndexTensor& batch, std::size_t axis, const Shard& part);
/// The entries of a float tensor at positions [part.begin, part.end) along `axis` (a copy),
/// e.g. inputs [T, B, I] with axis 1. Throws recur::ShapeError as the IndexTensor overload.
Tensor take_shard(const Tensor& batch, std::size_t axis, const Shard& part);

}  // namespace recur::distributed
