#include "autograd/ops/broadcast.hpp"


#include "core/error.hpp"

namespace recur {

Shape broadcast_shapes(const char* op, const Tensor::shape_type& a, const Tensor::shape_type& b) {
  const std::size_t rank = std::max(a.size(), b.size());
  Shape result(rank);
  for (std::size_t i = 0; i < rank; ++i) {
    // Align from the right; a missing axis counts as extent 1.
    const std::size_t ea = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    const std::size_t eb = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (ea != eb && ea != 1 && eb != 1)
      throw ShapeError(std::string(op) + ": cannot broadcast " + shape_str(a) + " with " +
                       shape_str(b) + " (axis " + std::to_string(i) + ": " + std::to_string(ea) +
                       " vs " + std::to_string(eb) + ")");
    result[i] = std::max(ea, eb);
  }
  return result;
}

void accumulate_reduced(Tensor& target, const Tensor& grad) {
  if (target.shape() == grad.shape()) {
    xt::noalias(target) += grad;
    return;
  }
  // Walk grad in row-major order with an odometer over its index; each element lands in the
  // target element it was broadcast from (stride 0 along broadcast axes).
  const std::size_t rank = grad.dimension();
  const std::size_t lead = rank - target.dimension();
  std::vector<std::size_t> target_stride(rank, 0), index(rank, 0);
  std::size_t stride = 1;
  for (std::size_t i = target.dimension(); i-- > 0;) {
    if (target.shape(i) != 1) target_stride[lead + i] = stride;
    stride *= target.shape(i);
  }
  float* out = target.data();
  const float* in = grad.data();
  std::size_t offset = 0;
  for (std::size_t n = 0; n < grad.size(); ++n) {
    out[offset] += in[n];
    for (std::size_t axis = rank; axis-- > 0;) {
      offset += target_stride[axis];
      if (++index[axis] < grad.shape(axis)) break;
      offset -= target_stride[axis] * index[axis];
      index[axis] = 0;
    }
  }
}

}  // namespace recur
