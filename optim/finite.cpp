#include "optim/finite.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"

namespace recur::optim {

bool all_finite(const std::vector<Parameter*>& params) {
  return std::all_of(params.begin(), params.end(), [](const Parameter* parameter) {
    if (parameter == nullptr) throw ValueError("all_finite: got a null parameter");
    return !parameter->requires_grad ||
           std::all_of(parameter->grad.begin(), parameter->grad.end(),
                       [](float value) { return std::isfinite(value); });
  });
}

}  // namespace recur::optim
