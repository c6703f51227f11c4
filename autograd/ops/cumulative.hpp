/// @file
/// Cumulative ops along an axis: cumsum and logcumsumexp, the scans behind parallel training of
/// recurrences whose gates depend on the input only (minGRU, minLSTM: h_t = a_t h_{t-1} + b_t
/// for all t at once, in log space).
/// @code
/// // log h_t = a*_t + logcumsumexp(log b - a*)_t, with a* = cumsum(log a) over time (axis 0)
/// recur::Var a_star = recur::cumsum(log_a, 0);
/// recur::Var log_h = a_star + recur::logcumsumexp(log_b - a_star, 0);
/// @endcode
#pragma once

#include "autograd/var.hpp"

namespace recur {

/// Running sums along an axis, as torch.cumsum: y_k = x_0 + ... + x_k. Sums run in double, as
/// torch's do on the CPU, so long scans keep float precision.
/// @param x Any value. @param axis The axis scanned; negative counts from the end.
/// @return x's shape.
/// @throws recur::ShapeError for an axis out of range.
Var cumsum(const Var& x, int axis);

/// Running log-sum-exp along an axis, as torch.logcumsumexp: y_k = log(exp(x_0) + ... +
/// exp(x_k)), computed as y_k = max(y_{k-1}, x_k) + log1p(exp(-|y_{k-1} - x_k|)) in double, so it
/// neither overflows nor underflows for inputs of any magnitude (+-1e30 included). -inf inputs
/// contribute nothing; +inf gives +inf from there on; NaN propagates.
/// The gradient dx_j = sum_{k >= j} dy_k exp(x_j - y_k) is computed in one reverse pass with
/// every exponent <= 0, so it is stable too. Where every input of a prefix is -inf (y_j = -inf)
/// the gradient is taken as 0 (torch's is NaN there).
/// @param x Any value. @param axis The axis scanned; negative counts from the end.
/// @return x's shape.
/// @throws recur::ShapeError for an axis out of range.
Var logcumsumexp(const Var& x, int axis);

}  // namespace recur
