/// @file
/// Checking a step's gradients before applying them, to skip a step that is not finite.
#pragma once

#include <vector>

#include "autograd/parameter.hpp"

namespace recur::optim {

/// True when every gradient element of `params` is finite (no NaN, no Inf). Parameters that do
/// not require a gradient are left out; a null pointer throws recur::ValueError. The usual guard against one bad batch:
/// @code
/// tape.backward(loss);
/// double norm = recur::optim::clip_grad_norm(model.parameters(), 1.0);  // NaN/Inf if any is
/// if (!std::isfinite(norm)) {      // or: !recur::optim::all_finite(model.parameters())
///   optimizer.zero_grad();         // drop this step's gradients; weights and state unchanged
///   continue;
/// }
/// optimizer.step();
/// @endcode
bool all_finite(const std::vector<Parameter*>& params);

}  // namespace recur::optim
