#include "autograd/ops/axis.hpp"

#include <string>

#include "core/error.hpp"

namespace recur {

std::size_t normalize_axis(const char* op, int axis, std::size_t rank) {
  const auto signed_rank = static_cast<long>(rank);
  const long normalized = axis < 0 ? axis + signed_rank : axis;
  if (normalized < 0 || normalized >= signed_rank)
    throw ShapeError(std::string(op) + ": axis " + std::to_string(axis) + " is out of range for a " +
                     std::to_string(rank) + "-d value (valid: " + std::to_string(-signed_rank) +
                     " to " + std::to_string(signed_rank - 1) + ")");
  return static_cast<std::size_t>(normalized);
}

}  // namespace recur
