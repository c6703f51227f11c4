/// @file
/// Gradient clipping: rescale gradients whose total norm is too large, or cap each element.
#pragma once

#include <vector>

#include "autograd/parameter.hpp"

namespace recur::optim {

/// Scales the gradients of `params` together so that their total `norm_type`-norm (as if all
/// gradients were one vector) is at most `max_norm`, as torch.nn.utils.clip_grad_norm_: the
/// factor max_norm / (total + 1e-6) is applied only when it is below 1. Returns the total norm
/// before clipping. `norm_type` is any p > 0, or INFINITY for the largest absolute element.
/// Parameters that do not require a gradient are left out.
/// @param params The parameters, usually `model.parameters()`.
/// @param max_norm The largest total norm allowed (> 0).
/// @param norm_type p of the p-norm (> 0), or INFINITY.
/// @param error_if_nonfinite Throw instead of scaling when the total norm is NaN or infinite.
/// @return The total norm before clipping.
/// @throws recur::ValueError for a bad norm_type or max_norm, and (with `error_if_nonfinite`) for a
///         NaN or infinite total norm.
///
/// @code
/// tape.backward(loss);
/// double norm = recur::optim::clip_grad_norm(model.parameters(), 1.0);
/// optimizer.step();
/// @endcode
double clip_grad_norm(const std::vector<Parameter*>& params, double max_norm, double norm_type = 2.0,
                      bool error_if_nonfinite = false);

/// Clamps every gradient element of `params` into [-clip_value, clip_value], as
/// torch.nn.utils.clip_grad_value_.
/// @param params The parameters. @param clip_value The largest magnitude kept (>= 0).
/// @throws recur::ValueError for a negative clip_value.
void clip_grad_value(const std::vector<Parameter*>& params, double clip_value);

}  // namespace recur::optim
