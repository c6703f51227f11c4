#include "autograd/parameter.hpp"

#include <algorithm>

namespace recur {

Parameter::Parameter(Tensor initial) : value(std::move(initial)), grad(value.shape()) { zero_grad(); }

void Parameter::zero_grad() {
  if (grad.shape() != value.shape()) grad.resize(value.shape());
  std::fill(grad.begin(), grad.end(), 0.0f);
}

}  // namespace recur
