/// @file
/// NumPy broadcasting for binary ops, and the reduction of a gradient back to an input's shape.
#pragma once

#include <xtensor/xnoalias.hpp>

#include "core/shape.hpp"
#include "core/tensor.hpp"

namespace recur {

/// The shape of `a op b` under NumPy's broadcasting rules; throws recur::ShapeError naming `op`.
Shape broadcast_shapes(const char* op, const Tensor::shape_type& a, const Tensor::shape_type& b);

/// Adds `grad` (the gradient of a broadcast result) into `target`, summing over the axes along
/// which target was broadcast. The one place every broadcasting op reduces its gradient.
void accumulate_reduced(Tensor& target, const Tensor& grad);

/// Adds an xtensor expression into `target`: in place when the shapes agree, through
/// accumulate_reduced when target was broadcast.
template <class Expression>
void accumulate(Tensor& target, Expression&& expression) {
  if (std::equal(target.shape().begin(), target.shape().end(), expression.shape().begin(),
                 expression.shape().end())) {
    xt::noalias(target) += expression;
  } else {
    Tensor full = std::forward<Expression>(expression);
    accumulate_reduced(target, full);
  }
}

}  // namespace recur
