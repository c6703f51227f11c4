/// @file
/// Elementwise ops: arithmetic with NumPy broadcasting, and the pointwise nonlinearities.
#pragma once

#include "autograd/var.hpp"

namespace recur {

/// a + b, broadcasting. Throws recur::ShapeError if the shapes do not broadcast.
Var add(const Var& a, const Var& b);
/// a - b, broadcasting.
Var sub(const Var& a, const Var& b);
/// a * b elementwise, broadcasting.
Var mul(const Var& a, const Var& b);
/// a / b elementwise, broadcasting.
Var div(const Var& a, const Var& b);
/// -x.
Var neg(const Var& x);
/// x + s for a constant s.
Var add_scalar(const Var& x, float s);
/// x * s for a constant s.
Var mul_scalar(const Var& x, float s);

/// 1 / (1 + exp(-x)).
Var sigmoid(const Var& x);
/// tanh(x).
Var tanh(const Var& x);
/// max(x, 0); its gradient at 0 is taken as 0.
Var relu(const Var& x);
/// exp(x).
Var exp(const Var& x);
/// The natural logarithm; the caller keeps x positive.
Var log(const Var& x);

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
