/// @file
/// The numbers a recurrent cell's pointwise step is evaluated with inside the recurrence engine:
/// a lane of units (eight floats in an AVX register, or one float for a row's tail) together
/// with the derivatives of that value with respect to the step's inputs, forward-mode dual
/// numbers whose set of inputs is part of the type. `sigmoid(z_i + w_ci * c)` on these numbers
/// computes the value and, at no cost for the inputs it does not depend on, its derivative with
/// respect to z_i, w_ci and c: the engine's backward pass takes a cell's derivatives from here,
/// so no cell writes one.
///
/// A cell's step never names these types: it is a template (its arguments are `auto`), and the
/// functions below are found by argument-dependent lookup, as recur::sigmoid is for a recur::Var
/// when the same step runs on the tape as the reference.
#pragma once

#include <array>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>

#include <xsimd/xsimd.hpp>

namespace recur::cell {

/// A lane's value and its derivatives with respect to the step inputs in `Inputs` (bit k set:
/// input k), one derivative per set bit in increasing bit order. `V` is float or an xsimd batch.
template <class V, std::uint64_t Inputs>
struct Dual {
  /// Derivatives carried.
  static constexpr std::size_t count = std::popcount(Inputs);
  /// The inputs this value depends on (bit k: input k).
  static constexpr std::uint64_t mask = Inputs;
  V value;                  ///< The value.
  std::array<V, count> d;   ///< d value / d input, for each input of `Inputs`.
};

namespace detail {

template <class T>
struct is_dual : std::false_type {};
template <class V, std::uint64_t M>
struct is_dual<Dual<V, M>> : std::true_type {};

/// Position of input `bit` among the derivatives of a Dual over `mask`.
template <std::uint64_t mask>
constexpr std::size_t slot(unsigned bit) {
  return static_cast<std::size_t>(std::popcount(mask & ((std::uint64_t{1} << bit) - 1)));
}

/// Whether `mask` holds input `bit`.
template <std::uint64_t mask>
constexpr bool has(unsigned bit) {
  return ((mask >> bit) & 1u) != 0;
}

/// The input number of the `index`-th set bit of `mask`.
template <std::uint64_t mask, std::size_t index>
constexpr unsigned nth_bit() {
  std::uint64_t rest = mask;
  for (std::size_t i = 0; i < index; ++i) rest &= rest - 1;
  return static_cast<unsigned>(std::countr_zero(rest));
}

/// Calls f(bit, index) for each set bit of `mask`, both as compile-time constants.
template <std::uint64_t mask, class F>
[[gnu::always_inline]] inline void for_each_input(F&& f) {
  [&]<std::size_t... index>(std::index_sequence<index...>) {
    (f(std::integral_constant<unsigned, nth_bit<mask, index>()>{},
       std::integral_constant<std::size_t, index>{}),
     ...);
  }(std::make_index_sequence<std::popcount(mask)>{});
}

/// The derivatives of a result over the union of a's and b's inputs: `both(da, db)` where both
/// carry an input, `only_a(da)` and `only_b(db)` where one does.
template <class V, std::uint64_t A, std::uint64_t B, class Both, class OnlyA, class OnlyB>
[[gnu::always_inline]] inline Dual<V, A | B> merge(V value, const Dual<V, A>& a,
                                                   const Dual<V, B>& b, Both both, OnlyA only_a,
                                                   OnlyB only_b) {
  Dual<V, A | B> result;
  result.value = value;
  for_each_input<A | B>([&](auto bit, auto index) {
    if constexpr (has<A>(bit) && has<B>(bit))
      result.d[index] = both(a.d[slot<A>(bit)], b.d[slot<B>(bit)]);
    else if constexpr (has<A>(bit))
      result.d[index] = only_a(a.d[slot<A>(bit)]);
    else
      result.d[index] = only_b(b.d[slot<B>(bit)]);
  });
  return result;
}

/// f(x) whose derivative at x is `slope`: the chain rule on every derivative x carries.
template <class V, std::uint64_t M>
[[gnu::always_inline]] inline Dual<V, M> chain(V value, V slope, const Dual<V, M>& x) {
  Dual<V, M> result;
  result.value = value;
  for (std::size_t k = 0; k < Dual<V, M>::count; ++k) result.d[k] = slope * x.d[k];
  return result;
}

// The lane math: xsimd for batches, <cmath> for the single floats of a row's tail.
template <class V>
[[gnu::always_inline]] inline V exp_of(V x) {
  if constexpr (std::is_same_v<V, float>) return std::exp(x);
  else return xsimd::exp(x);
}
template <class V>
[[gnu::always_inline]] inline V log_of(V x) {
  if constexpr (std::is_same_v<V, float>) return std::log(x);
  else return xsimd::log(x);
}
template <class V>
[[gnu::always_inline]] inline V tanh_of(V x) {
  if constexpr (std::is_same_v<V, float>) return std::tanh(x);
  else return xsimd::tanh(x);
}
template <class V>
[[gnu::always_inline]] inline V sqrt_of(V x) {
  if constexpr (std::is_same_v<V, float>) return std::sqrt(x);
  else return xsimd::sqrt(x);
}
template <class V>
[[gnu::always_inline]] inline V log1p_of(V x) {
  if constexpr (std::is_same_v<V, float>) return std::log1p(x);
  else return xsimd::log1p(x);
}
/// a < b ? if_less : otherwise, lane by lane.
template <class V>
[[gnu::always_inline]] inline V select_less(V a, V b, V if_less, V otherwise) {
  if constexpr (std::is_same_v<V, float>) return a < b ? if_less : otherwise;
  else return xsimd::select(a < b, if_less, otherwise);
}
/// a > b ? if_greater : otherwise, lane by lane.
template <class V>
[[gnu::always_inline]] inline V select_greater(V a, V b, V if_greater, V otherwise) {
  if constexpr (std::is_same_v<V, float>) return a > b ? if_greater : otherwise;
  else return xsimd::select(a > b, if_greater, otherwise);
}
/// a == b ? if_equal : otherwise, lane by lane.
template <class V>
[[gnu::always_inline]] inline V select_equal(V a, V b, V if_equal, V otherwise) {
  if constexpr (std::is_same_v<V, float>) return a == b ? if_equal : otherwise;
  else return xsimd::select(a == b, if_equal, otherwise);
}

}  // namespace detail

/// @name Arithmetic
/// Sums, differences, products and quotients of duals and with float constants; each carries
/// the union of its operands' inputs.
/// @{

/// a + b.
template <class V, std::uint64_t A, std::uint64_t B>
[[gnu::always_inline]] inline Dual<V, A | B> operator+(const Dual<V, A>& a, const Dual<V, B>& b) {
  return detail::merge(
      V(a.value + b.value), a, b, [](V x, V y) { return V(x + y); }, [](V x) { return x; },
      [](V y) { return y; });
}
/// a - b.
template <class V, std::uint64_t A, std::uint64_t B>
[[gnu::always_inline]] inline Dual<V, A | B> operator-(const Dual<V, A>& a, const Dual<V, B>& b) {
  return detail::merge(
      V(a.value - b.value), a, b, [](V x, V y) { return V(x - y); }, [](V x) { return x; },
      [](V y) { return V(-y); });
}
/// a * b: d(ab) = b da + a db.
template <class V, std::uint64_t A, std::uint64_t B>
[[gnu::always_inline]] inline Dual<V, A | B> operator*(const Dual<V, A>& a, const Dual<V, B>& b) {
  const V av = a.value, bv = b.value;
  return detail::merge(
      V(av * bv), a, b, [&](V x, V y) { return V(bv * x + av * y); },
      [&](V x) { return V(bv * x); }, [&](V y) { return V(av * y); });
}
/// a / b: d(a/b) = (da - (a/b) db) / b.
template <class V, std::uint64_t A, std::uint64_t B>
[[gnu::always_inline]] inline Dual<V, A | B> operator/(const Dual<V, A>& a, const Dual<V, B>& b) {
  const V inverse = V(1.0f) / b.value;
  const V quotient = a.value * inverse;
  const V slope_b = quotient * inverse;
  return detail::merge(
      quotient, a, b, [&](V x, V y) { return V(inverse * x - slope_b * y); },
      [&](V x) { return V(inverse * x); }, [&](V y) { return V(-(slope_b * y)); });
}
/// -x.
template <class V, std::uint64_t M>
[[gnu::always_inline]] inline Dual<V, M> operator-(const Dual<V, M>& x) {
  Dual<V, M> result;
  result.value = -x.value;
  for (std::size_t k = 0; k < Dual<V, M>::count; ++k) result.d[k] = -x.d[k];
  return result;
}
/// x + s.
template <class V, std::uint64_t M>
[[gnu::always_inline]] inline Dual<V, M> operator+(const Dual<V, M>& x, float s) {
  Dual<V, M> result = x;
  result.value = x.value + V(s);
  return result;
}
/// s + x.
template <class V, std::uint64_t M>
[[gnu::always_inline]] inline Dual<V, M> operator+(float s, const Dual<V, M>& x) {
  return x + s;
}
/// x - s.
template <class V, std::uint64_t M>
[[gnu::always_inline]] inline Dual<V, M> operator-(const Dual<V, M>& x, float s) {
  return x + (-s);
}
/// s - x.
template <class V, std::uint64_t M>
[[gnu::always_inline]] inline Dual<V, M> operator-(float s, const Dual<V, M>& x) {
  return (-x) + s;
}
/// x * s.
template <class V, std::uint64_t M>
[[gnu::always_inline]] inline Dual<V, M> operator*(const Dual<V, M>& x, float s) {
  return detail::chain(V(x.value * V(s)), V(s), x);
}
/// s * x.
template <class V, std::uint64_t M>
[[gnu::always_inline]] inline Dual<V, M> operator*(float s, const Dual<V, M>& x) {
  return x * s;
}
/// x / s.
template <class V, std::uint64_t M>
[[gnu::always_inline]] inline Dual<V, M> operator/(const Dual<V, M>& x, float s) {
  return x * (1.0f / s);
}
/// s / x.
template <class V, std::uint64_t M>
[[gnu::always_inline]] inline Dual<V, M> operator/(float s, const Dual<V, M>& x) {
  const V inverse = V(1.0f) / x.value;
  const V value = V(s) * inverse;
  return detail::chain(value, V(-(value * inverse)), x);
}
/// @}

/// @name Functions
/// The same names as the tape's ops (recur::sigmoid, recur::tanh, ...), so one step reads the
/// same on both.
/// @{

/// 1 / (1 + exp(-x)); derivative y (1 - y).
template <class V, std::uint64_t M>
[[gnu::always_inline]] inline Dual<V, M> sigmoid(const Dual<V, M>& x) {
  const V y = V(1.0f) / (V(1.0f) + detail::exp_of(V(-x.value)));
  return detail::chain(y, V(y * (V(1.0f) - y)), x);
}
/// tanh(x); derivative 1 - y^2.
template <class V, std::uint64_t M>
[[gnu::always_inline]] inline Dual<V, M> tanh(const Dual<V, M>& x) {
  const V y = detail::tanh_of(x.value);
  return detail::chain(y, V(V(1.0f) - y * y), x);
}
/// exp(x); derivative exp(x).
template <class V, std::uint64_t M>
[[gnu::always_inline]] inline Dual<V, M> exp(const Dual<V, M>& x) {
  const V y = detail::exp_of(x.value);
  return detail::chain(y, y, x);
}
/// log(x); derivative 1 / x.
template <class V, std::uint64_t M>
[[gnu::always_inline]] inline Dual<V, M> log(const Dual<V, M>& x) {
  return detail::chain(detail::log_of(x.value), V(V(1.0f) / x.value), x);
}
/// sqrt(x); derivative 1 / (2 sqrt(x)).
template <class V, std::uint64_t M>
[[gnu::always_inline]] inline Dual<V, M> sqrt(const Dual<V, M>& x) {
  const V y = detail::sqrt_of(x.value);
  return detail::chain(y, V(V(0.5f) / y), x);
}
/// max(x, 0); derivative 1 where x > 0, else 0 (as recur::relu).
template <class V, std::uint64_t M>
[[gnu::always_inline]] inline Dual<V, M> relu(const Dual<V, M>& x) {
  const V zero(0.0f);
  return detail::chain(detail::select_greater(x.value, zero, x.value, zero),
                       detail::select_greater(x.value, zero, V(1.0f), zero), x);
}
/// |x|; derivative sign(x), 0 at 0.
template <class V, std::uint64_t M>
[[gnu::always_inline]] inline Dual<V, M> abs(const Dual<V, M>& x) {
  const V zero(0.0f);
  const V sign = detail::select_greater(x.value, zero, V(1.0f),
                                        detail::select_less(x.value, zero, V(-1.0f), zero));
  return detail::chain(V(sign * x.value), sign, x);
}
/// log(1 + exp(x)), computed as max(x, 0) + log1p(exp(-|x|)) so it neither overflows nor loses
/// the small values; derivative sigmoid(x).
template <class V, std::uint64_t M>
[[gnu::always_inline]] inline Dual<V, M> softplus(const Dual<V, M>& x) {
  const V zero(0.0f);
  const V magnitude = detail::select_less(x.value, zero, V(-x.value), x.value);
  const V positive = detail::select_greater(x.value, zero, x.value, zero);
  const V y = positive + detail::log1p_of(detail::exp_of(V(-magnitude)));
  const V slope = V(1.0f) / (V(1.0f) + detail::exp_of(V(-x.value)));
  return detail::chain(y, slope, x);
}
/// log(sigmoid(x)) = -softplus(-x); derivative 1 - sigmoid(x).
template <class V, std::uint64_t M>
[[gnu::always_inline]] inline Dual<V, M> log_sigmoid(const Dual<V, M>& x) {
  const V zero(0.0f);
  const V magnitude = detail::select_less(x.value, zero, V(-x.value), x.value);
  const V negative = detail::select_less(x.value, zero, x.value, zero);
  const V y = negative - detail::log1p_of(detail::exp_of(V(-magnitude)));
  const V slope = V(1.0f) - V(1.0f) / (V(1.0f) + detail::exp_of(V(-x.value)));
  return detail::chain(y, slope, x);
}
/// The larger of a and b, lane by lane; the derivative follows the larger one and is split
/// equally on a tie, as torch.maximum's is.
template <class V, std::uint64_t A, std::uint64_t B>
[[gnu::always_inline]] inline Dual<V, A | B> maximum(const Dual<V, A>& a, const Dual<V, B>& b) {
  const V one(1.0f), zero(0.0f), half(0.5f);
  const V to_a = detail::select_greater(a.value, b.value, one,
                                        detail::select_equal(a.value, b.value, half, zero));
  const V to_b = one - to_a;
  const V value = detail::select_greater(b.value, a.value, b.value, a.value);
  return detail::merge(
      value, a, b, [&](V x, V y) { return V(to_a * x + to_b * y); },
      [&](V x) { return V(to_a * x); }, [&](V y) { return V(to_b * y); });
}
/// The smaller of a and b, lane by lane; on a tie the derivative is split equally.
template <class V, std::uint64_t A, std::uint64_t B>
[[gnu::always_inline]] inline Dual<V, A | B> minimum(const Dual<V, A>& a, const Dual<V, B>& b) {
  return -maximum(-a, -b);
}
/// @}

}  // namespace recur::cell
