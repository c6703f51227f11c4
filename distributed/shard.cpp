#include "distributed/shard.hpp"

#include <string>

#include <xtensor/xstrided_view.hpp>

#include "core/shape.hpp"

namespace recur::distributed {
namespace {

template <class Array>
Array take_along(const Array& batch, std::size_t axis, const Shard& part) {
  if (axis >= batch.dimension() || part.begin > part.end || part.end > batch.shape(axis))
    throw ShapeError("take_shard: cannot take [" + std::to_string(part.begin) + ", " +
                     std::to_string(part.end) + ") along axis " + std::to_string(axis) +
                     " of a tensor of shape " + shape_str(batch.shape()));
  xt::xstrided_slice_vector slices(batch.dimension(), xt::all());
  slices[axis] = xt::range(part.begin, part.end);
  return Array(xt::strided_view(batch, slices));
}

}  // namespace

Shard shard(std::size_t count, int rank, int size) {
  if (size <= 0 || rank < 0 || rank >= size)
    throw ValueError("shard: rank " + std::to_string(rank) + " is not one of " +
                     std::to_string(size) + " ranks");
  const std::size_t ranks = static_cast<std::size_t>(size), r = static_cast<std::size_t>(rank);
  const std::size_t base = count / ranks, extra = count % ranks;
  const std::size_t begin = r * base + std::min(r, extra);
  return {begin, begin + base + (r < extra ? 1 : 0)};
}

Shard shard(std::size_t count, const Communicator& comm) {
  return shard(count, comm.rank(), comm.size());
}

IndexTensor take_shard(const IndexTensor& batch, std::size_t axis, const Shard& part) {
  return take_along(batch, axis, part);
}

Tensor take_shard(const Tensor& batch, std::size_t axis, const Shard& part) {
  return take_along(batch, axis, part);
}

}  // namespace recur::distributed
