/// @file
/// Elementwise ops: arithmetic with NumPy broadcasting, and the pointwise nonlinearities.
///
/// Like every op, each of these throws recur::TapeError when an input is an empty Var, comes from
/// another tape or from a tape cleared since it was computed, and, in anomaly mode
/// (recur::AnomalyModeGuard), recur::AnomalyError when its value or gradient is not finite.
/// @code
/// recur::Var y = recur::tanh(recur::add(x, b));   // b [H] broadcasts over x [B, H]
/// recur::Var z = 2.0f * y - x;                     // the operators call the same ops
/// @endcode
#pragma once

#include <optional>

#include "autograd/var.hpp"

namespace recur {

/// a + b, broadcasting as NumPy does.
/// @param a, b Values on the same tape; their shapes broadcast to the result's.
/// @throws recur::ShapeError if the shapes do not broadcast (`add: cannot broadcast [3, 4] with
///         [5]`).
Var add(const Var& a, const Var& b);
/// a - b, broadcasting.
/// @param a, b Values on the same tape; their shapes broadcast to the result's.
/// @throws recur::ShapeError if the shapes do not broadcast.
Var sub(const Var& a, const Var& b);
/// a * b elementwise, broadcasting.
/// @param a, b Values on the same tape; their shapes broadcast to the result's.
/// @throws recur::ShapeError if the shapes do not broadcast.
Var mul(const Var& a, const Var& b);
/// a / b elementwise, broadcasting.
/// @param a, b Values on the same tape; their shapes broadcast to the result's. A zero in b
///        gives inf or NaN, as in IEEE arithmetic.
/// @throws recur::ShapeError if the shapes do not broadcast.
Var div(const Var& a, const Var& b);
/// -x.
/// @param x Any value.
Var neg(const Var& x);
/// x + s for a constant s.
/// @param x Any value. @param s A constant; it gets no gradient.
Var add_scalar(const Var& x, float s);
/// x * s for a constant s.
/// @param x Any value. @param s A constant; it gets no gradient.
Var mul_scalar(const Var& x, float s);

/// 1 / (1 + exp(-x)), elementwise.
/// @param x Any value; the backward rule uses the saved output, y (1 - y).
Var sigmoid(const Var& x);
/// tanh(x), elementwise.
/// @param x Any value; the backward rule uses the saved output, 1 - y^2.
Var tanh(const Var& x);
/// max(x, 0), elementwise; its gradient at 0 is taken as 0.
/// @param x Any value.
Var relu(const Var& x);
/// exp(x), elementwise.
/// @param x Any value; exp overflows to inf above about 88.7 in float32.
Var exp(const Var& x);
/// The natural logarithm, elementwise.
/// @param x Positive values (the caller keeps them so); log(0) is -inf and log of a negative
///        number NaN, which anomaly mode reports.
Var log(const Var& x);

/// |x|, elementwise; its gradient is sign(x), 0 at 0 (torch's).
/// @param x Any value.
Var abs(const Var& x);
/// The square root, elementwise; the gradient 1 / (2 sqrt x) is infinite at 0, as in torch.
/// @param x Non-negative values (a negative one gives NaN, which anomaly mode reports).
Var sqrt(const Var& x);
/// x to a constant power, elementwise, as torch.pow(x, exponent): dx = exponent x^(exponent-1),
/// and 0 for exponent 0.
/// @param x Any value (positive for a non-integer exponent, or the result is NaN).
/// @param exponent A constant; it gets no gradient.
Var pow(const Var& x, float exponent);
/// x limited to [min, max], as torch.clamp: min(max(x, min), max), so min > max gives max
/// everywhere. The gradient is dy where min <= x <= max and 0 outside (torch's, bounds included).
/// @code
/// recur::Var p = recur::clamp(q, 1e-6f, 1.0f - 1e-6f);
/// recur::Var r = recur::clamp(x, 0.0f, std::nullopt);   // only a lower bound
/// @endcode
/// @param x Any value; NaN stays NaN.
/// @param min The lower bound, or std::nullopt for none. @param max The upper bound, or none.
/// @throws recur::ValueError when both bounds are std::nullopt (torch refuses that too).
Var clamp(const Var& x, std::optional<float> min, std::optional<float> max);
/// The elementwise larger of a and b, broadcasting, as torch.maximum. Where a == b the gradient
/// is split equally between them (torch's rule); NaN in either gives NaN.
/// @param a, b Values on the same tape; their shapes broadcast to the result's.
/// @throws recur::ShapeError if the shapes do not broadcast.
Var maximum(const Var& a, const Var& b);
/// The elementwise smaller of a and b, broadcasting, as torch.minimum; ties split the gradient
/// equally.
/// @param a, b Values on the same tape; their shapes broadcast to the result's.
/// @throws recur::ShapeError if the shapes do not broadcast.
Var minimum(const Var& a, const Var& b);

/// @name Operators, for readable formulas
/// @{

/// add(a, b).
inline Var operator+(const Var& a, const Var& b) { return add(a, b); }
/// sub(a, b).
inline Var operator-(const Var& a, const Var& b) { return sub(a, b); }
/// mul(a, b).
inline Var operator*(const Var& a, const Var& b) { return mul(a, b); }
/// div(a, b).
inline Var operator/(const Var& a, const Var& b) { return div(a, b); }
/// neg(x).
inline Var operator-(const Var& x) { return neg(x); }
/// add_scalar(x, s).
inline Var operator+(const Var& x, float s) { return add_scalar(x, s); }
/// add_scalar(x, s).
inline Var operator+(float s, const Var& x) { return add_scalar(x, s); }
/// add_scalar(x, -s).
inline Var operator-(const Var& x, float s) { return add_scalar(x, -s); }
/// s - x.
inline Var operator-(float s, const Var& x) { return add_scalar(neg(x), s); }
/// mul_scalar(x, s).
inline Var operator*(const Var& x, float s) { return mul_scalar(x, s); }
/// mul_scalar(x, s).
inline Var operator*(float s, const Var& x) { return mul_scalar(x, s); }
/// mul_scalar(x, 1 / s).
inline Var operator/(const Var& x, float s) { return mul_scalar(x, 1.0f / s); }
/// @}

}  // namespace recur
