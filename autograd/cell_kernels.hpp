/// @file
/// From a cell declaration to the engine's CellSpec: spec<Cell>() instantiates, from the one
/// step the cell writes, three functions. The forward kernel runs the step on lanes of plain
/// values, eight units at a time, over every row of a time step. The backward kernel runs it
/// again on dual numbers (autograd/cell_number.hpp) seeded at each input, so the step's result
/// carries its derivatives with respect to exactly the inputs it depends on, and multiplies them
/// with the incoming gradients. The composite function runs it on recur::Var, op by op on the
/// tape: the reference the tests hold the kernels to.
///
/// A declaration is a struct with:
/// - `static constexpr const char* name`, for messages;
/// - `static constexpr std::size_t gates`, the gate blocks of the pre-activation (G = gates * H);
/// - `static constexpr std::array<const char*, S> states`, the state names, h first (the output);
/// - optionally `static constexpr std::array<const char*, V> vectors`, per-unit [H] parameters;
/// - optionally `static constexpr recur::cell::Recurrence recurrence` (default dense) and
///   `static constexpr std::size_t recurrent_states` (default 1: only h is fed back);
/// - `static auto step(const auto& in)`, which reads `in.gates`, `in.hidden` (separate
///   recurrence only), `in.state` and `in.vectors` (each tuple-like, to unpack with structured
///   bindings) and returns `std::tuple{...}` of the S new states.
#pragma once

#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <tuple>
#include <type_traits>
#include <utility>

#include "autograd/cell_declaration.hpp"
#include "autograd/cell_number.hpp"
#include "autograd/ops/elementwise.hpp"
#include "autograd/ops/shape_ops.hpp"

namespace recur::cell {

/// What a step receives: tuples (or arrays) of the gate pre-activations, of the hidden part of
/// a separate recurrence (empty otherwise), of the states before the step and of the per-unit
/// vectors.
template <class Gates, class Hidden, class State, class Vectors>
struct StepInputs {
  Gates gates;      ///< z_0 .. z_{gates-1}, each [B, H] (or a lane of it).
  Hidden hidden;    ///< The hidden products' gate parts (Recurrence::separate).
  State state;      ///< The states before the step, h first.
  Vectors vectors;  ///< The per-unit parameters.
};

namespace detail {

/// A tuple-like aggregate of the step's inputs over lanes: built by aggregate initialisation, so
/// each dual is made in place (std::tuple's converting constructors copied them piecewise
/// through memory, which g++ then could not keep in registers).
template <std::size_t I, class T>
struct Leaf {
  T value;
};
template <class Indices, class... T>
struct GroupBase;
template <std::size_t... I, class... T>
struct GroupBase<std::index_sequence<I...>, T...> : Leaf<I, T>... {};
template <class... T>
struct Group : GroupBase<std::index_sequence_for<T...>, T...> {};

template <std::size_t I, class T>
const T& leaf_value(const Leaf<I, T>& leaf) {
  return leaf.value;
}
/// std::get for a Group (found by argument-dependent lookup, as structured bindings need).
template <std::size_t I, class... T>
const auto& get(const Group<T...>& group) {
  return leaf_value<I>(group);
}

template <class Cell>
constexpr std::size_t vector_count() {
  if constexpr (requires { Cell::vectors; }) return std::tuple_size_v<decltype(Cell::vectors)>;
  else return 0;
}

template <class Cell>
constexpr Recurrence recurrence_of() {
  if constexpr (requires { Cell::recurrence; }) return Cell::recurrence;
  else return Recurrence::dense;
}

template <class Cell>
constexpr std::size_t recurrent_states_of() {
  if constexpr (requires { Cell::recurrent_states; }) return Cell::recurrent_states;
  else return 1;
}

/// A declaration's sizes and the numbering of the step's inputs: gates first, then the hidden
/// parts (separate recurrence), the states and the vectors.
template <class Cell>
struct Shape {
  static constexpr std::size_t gates = Cell::gates;
  static constexpr std::size_t states = std::tuple_size_v<decltype(Cell::states)>;
  static constexpr std::size_t vectors = vector_count<Cell>();
  static constexpr Recurrence recurrence = recurrence_of<Cell>();
  static constexpr std::size_t recurrent_states = recurrent_states_of<Cell>();
  static constexpr std::size_t hidden = recurrence == Recurrence::separate ? gates : 0;
  static constexpr unsigned first_hidden = gates;
  static constexpr unsigned first_state = gates + hidden;
  static constexpr unsigned first_vector = first_state + states;
  static constexpr std::size_t inputs = first_vector + vectors;
};

/// A tuple of `count` duals over lanes V: seeded, input `first + k` carries d/d(itself) = 1;
/// otherwise plain values (no derivatives). `load(k)` gives the value of element k.
template <class V, bool seeded, unsigned first, std::size_t count, class Load>
[[gnu::always_inline]] inline auto lane_tuple(Load load) {
  return [&]<std::size_t... k>(std::index_sequence<k...>) {
    if constexpr (seeded)
      return std::tuple{Dual<V, (std::uint64_t{1} << (first + k))>{load(k), {V(1.0f)}}...};
    else
      return std::tuple{Dual<V, 0>{load(k), {}}...};
  }(std::make_index_sequence<count>{});
}

/// A step's inputs over lanes V, for one row and the units from j on: `value(bit, k)` loads
/// input bit's value (only called for inputs the step reads).
template <class Cell, class V, bool seeded, class Value>
[[gnu::always_inline]] inline auto lane_inputs(Value value) {
  using S = Shape<Cell>;
  return StepInputs{lane_tuple<V, seeded, 0, S::gates>([&](std::size_t k) { return value(k); }),
                    lane_tuple<V, seeded, S::first_hidden, S::hidden>(
                        [&](std::size_t k) { return value(S::first_hidden + k); }),
                    lane_tuple<V, seeded, S::first_state, S::states>(
                        [&](std::size_t k) { return value(S::first_state + k); }),
                    lane_tuple<V, seeded, S::first_vector, S::vectors>(
                        [&](std::size_t k) { return value(S::first_vector + k); })};
}

/// The type of the step's result on seeded float lanes: its elements' masks say which inputs
/// each new state depends on.
struct NoLoad {
  float operator()(std::size_t) const { return 0.0f; }
};
template <class Cell>
using SeededResult = decltype(Cell::step(lane_inputs<Cell, float, true>(NoLoad{})));

template <class T>
constexpr std::uint64_t mask_of() {
  using D = std::remove_cvref_t<T>;
  if constexpr (is_dual<D>::value) return D::mask;
  else return 0;
}

/// Mask of the inputs new state k depends on.
template <class Cell, std::size_t k>
constexpr std::uint64_t output_mask() {
  return mask_of<std::tuple_element_t<k, SeededResult<Cell>>>();
}

/// The inputs any new state depends on: the step reads these and only these.
template <class Cell>
constexpr std::uint64_t read_mask() {
  return []<std::size_t... k>(std::index_sequence<k...>) {
    return (std::uint64_t{0} | ... | output_mask<Cell, k>());
  }(std::make_index_sequence<Shape<Cell>::states>{});
}

template <class T>
[[gnu::always_inline]] inline auto value_of(const T& x) {
  if constexpr (is_dual<std::remove_cvref_t<T>>::value) return x.value;
  else return x;
}

/// Runs body.template operator()<V>(j) over units [begin, end) of a row: xsimd batches first,
/// then single floats for the tail (H need not be a multiple of the width).
template <class Body>
[[gnu::always_inline]] inline void over_lanes(std::size_t begin, std::size_t end, Body&& body) {
  using Batch = xsimd::batch<float>;
  std::size_t j = begin;
  for (; j + Batch::size <= end; j += Batch::size) body.template operator()<Batch>(j);
  for (; j < end; ++j) body.template operator()<float>(j);
}

template <class V>
[[gnu::always_inline]] inline V load_lane(const float* p) {
  if constexpr (std::is_same_v<V, float>) return *p;
  else return V::load_unaligned(p);
}

template <class V>
[[gnu::always_inline]] inline void store_lane(float* p, V v) {
  if constexpr (std::is_same_v<V, float>) *p = v;
  else v.store_unaligned(p);
}

/// One row's arrays, the pointers taken out of PointwiseArgs once per row (so that the lane
/// loop keeps them in registers instead of reloading them after every store).
template <std::size_t states>
struct Row {
  const float* gates;
  const float* hidden;
  std::array<const float*, states> state_in;
  const float* vectors;
  std::size_t units;
};

template <class Cell>
Row<Shape<Cell>::states> row_of(const PointwiseArgs& a, std::size_t b) {
  using S = Shape<Cell>;
  const std::size_t H = a.units, G = S::gates * H;
  Row<S::states> row{a.gates + b * G, a.hidden ? a.hidden + b * G : nullptr, {}, a.vectors, H};
  for (std::size_t k = 0; k < S::states; ++k)
    row.state_in[k] = a.state_in[k] ? a.state_in[k] + b * H : nullptr;
  return row;
}

/// The value of input `bit` at units [j, j + lanes) of a row; zero for an input the step never
/// reads (whose array may be absent).
template <class Cell, class V, unsigned bit>
[[gnu::always_inline]] inline V input_value(const Row<Shape<Cell>::states>& row, std::size_t j) {
  using S = Shape<Cell>;
  constexpr std::uint64_t reads = read_mask<Cell>();
  const std::size_t H = row.units;
  if constexpr (!has<reads>(bit)) return V(0.0f);
  else if constexpr (bit < S::first_hidden) return load_lane<V>(row.gates + bit * H + j);
  else if constexpr (bit < S::first_state)
    return load_lane<V>(row.hidden + (bit - S::first_hidden) * H + j);
  else if constexpr (bit < S::first_vector)
    return load_lane<V>(row.state_in[bit - S::first_state] + j);
  else return load_lane<V>(row.vectors + (bit - S::first_vector) * H + j);
}

/// Inputs first .. first + count - 1 as a tuple of duals (seeded: each carries d/d(itself) = 1).
template <class Cell, class V, bool seeded, unsigned first, std::size_t... k>
[[gnu::always_inline]] inline auto input_group(const Row<Shape<Cell>::states>& row, std::size_t j,
                                              std::index_sequence<k...>) {
  if constexpr (seeded)
    return Group<Dual<V, (std::uint64_t{1} << (first + k))>...>{
        {{Dual<V, (std::uint64_t{1} << (first + k))>{
            input_value<Cell, V, first + static_cast<unsigned>(k)>(row, j), {V(1.0f)}}}...}};
  else
    return Group<Dual<V, (0 * k)>...>{
        {{Dual<V, 0>{input_value<Cell, V, first + static_cast<unsigned>(k)>(row, j), {}}}...}};
}

/// The step's inputs at units [j, j + lanes) of a row.
template <class Cell, class V, bool seeded>
[[gnu::always_inline]] inline auto row_inputs(const Row<Shape<Cell>::states>& row, std::size_t j) {
  using S = Shape<Cell>;
  return StepInputs{
      input_group<Cell, V, seeded, 0>(row, j, std::make_index_sequence<S::gates>{}),
      input_group<Cell, V, seeded, S::first_hidden>(row, j, std::make_index_sequence<S::hidden>{}),
      input_group<Cell, V, seeded, S::first_state>(row, j, std::make_index_sequence<S::states>{}),
      input_group<Cell, V, seeded, S::first_vector>(row, j,
                                                    std::make_index_sequence<S::vectors>{})};
}

/// The forward kernel: the new states of rows [0, rows), from plain values.
template <class Cell>
[[gnu::flatten]] void forward_rows(const PointwiseArgs& a) {
  using S = Shape<Cell>;
  const std::size_t H = a.units;
  for (std::size_t b = 0; b < a.rows; ++b) {
    Row<S::states> row = row_of<Cell>(a, b);  // not const: see Dual::value
    std::array<float*, S::states> out;
    for (std::size_t k = 0; k < S::states; ++k) out[k] = a.state_out[k] + b * H;
    over_lanes(a.unit_begin, a.unit_end ? a.unit_end : H, [&]<class V>(std::size_t j) {
      const auto result = Cell::step(row_inputs<Cell, V, false>(row, j));
      [&]<std::size_t... k>(std::index_sequence<k...>) {
        (store_lane<V>(out[k] + j, V(value_of(std::get<k>(result)))), ...);
      }(std::make_index_sequence<S::states>{});
    });
  }
}

/// d(loss)/d(input bit) = sum over new states k of d(loss)/d(state k) * d(state k)/d(input bit).
template <class Cell, unsigned bit, class V, class Result, class Grads>
[[gnu::always_inline]] inline V input_gradient(const Result& out, const Grads& grads) {
  V total(0.0f);
  [&]<std::size_t... k>(std::index_sequence<k...>) {
    (
        [&] {
          constexpr std::uint64_t mask = output_mask<Cell, k>();
          if constexpr (has<mask>(bit))
            total = total + grads[k] * std::get<k>(out).d[slot<mask>(bit)];
        }(),
        ...);
  }(std::make_index_sequence<Shape<Cell>::states>{});
  return total;
}

/// The backward kernel: recomputes the step on seeded duals and writes every input's gradient.
template <class Cell>
[[gnu::flatten]] void backward_rows(const PointwiseArgs& a) {
  using S = Shape<Cell>;
  constexpr std::uint64_t reads = read_mask<Cell>();
  const std::size_t H = a.units, G = S::gates * H;
  for (std::size_t b = 0; b < a.rows; ++b) {
    Row<S::states> row = row_of<Cell>(a, b);  // not const: see Dual::value
    std::array<const float*, S::states> grad_out;
    std::array<float*, S::states> grad_state;
    for (std::size_t k = 0; k < S::states; ++k) {
      grad_out[k] = a.grad_out[k] + b * H;
      grad_state[k] = a.grad_state_in[k] + b * H;
    }
    float* grad_gates = a.grad_gates + b * G;
    float* grad_hidden = a.grad_hidden ? a.grad_hidden + b * G : nullptr;
    float* grad_vectors = a.grad_vectors ? a.grad_vectors + b * a.grad_vectors_stride : nullptr;
    over_lanes(a.unit_begin, a.unit_end ? a.unit_end : H, [&]<class V>(std::size_t j) {
      const auto result = Cell::step(row_inputs<Cell, V, true>(row, j));
      std::array<V, S::states> grads;
      for (std::size_t k = 0; k < S::states; ++k) grads[k] = load_lane<V>(grad_out[k] + j);
      [&]<std::size_t... bit>(std::index_sequence<bit...>) {
        (
            [&] {
              constexpr unsigned input = static_cast<unsigned>(bit);
              const V grad = input_gradient<Cell, input, V>(result, grads);
              if constexpr (input < S::first_hidden)
                store_lane<V>(grad_gates + input * H + j, grad);
              else if constexpr (input < S::first_state)
                store_lane<V>(grad_hidden + (input - S::first_hidden) * H + j, grad);
              else if constexpr (input < S::first_vector)
                store_lane<V>(grad_state[input - S::first_state] + j, grad);
              else if constexpr (has<reads>(input)) {
                float* target = grad_vectors + (input - S::first_vector) * H + j;
                store_lane<V>(target, V(load_lane<V>(target) + grad));
              }
            }(),
            ...);
      }(std::make_index_sequence<S::inputs>{});
    });
  }
}

/// The composite step: the same equations as ops on the tape.
template <class Cell>
std::array<Var, kMaxStates> composite_step(const CompositeArgs& a) {
  using S = Shape<Cell>;
  const std::size_t H = a.gates.dim(1) / S::gates;
  const auto blocks = [&](const Var& all, auto count) {
    std::array<Var, decltype(count)::value> result;
    for (std::size_t g = 0; g < result.size(); ++g) result[g] = slice(all, 1, g * H, (g + 1) * H);
    return result;
  };
  std::array<Var, S::states> states;
  for (std::size_t k = 0; k < S::states; ++k) states[k] = a.states[k];
  std::array<Var, S::vectors> vectors;
  for (std::size_t k = 0; k < S::vectors; ++k) vectors[k] = a.vectors[k];
  const StepInputs in{blocks(a.gates, std::integral_constant<std::size_t, S::gates>{}),
                      blocks(a.hidden, std::integral_constant<std::size_t, S::hidden>{}), states,
                      vectors};
  const auto out = Cell::step(in);
  std::array<Var, kMaxStates> result;
  [&]<std::size_t... k>(std::index_sequence<k...>) {
    ((result[k] = std::get<k>(out)), ...);
  }(std::make_index_sequence<S::states>{});
  return result;
}

template <class Cell>
constexpr bool returns_every_state() {
  using R = std::remove_cvref_t<SeededResult<Cell>>;
  if constexpr (requires { std::tuple_size<R>::value; })
    return std::tuple_size_v<R> == Shape<Cell>::states;
  else
    return false;
}

}  // namespace detail

/// True when `Cell` is a complete declaration: a name, gates and states within the engine's
/// limits, and a step that returns one value per declared state.
template <class Cell>
concept Declaration = requires {
  { Cell::name } -> std::convertible_to<const char*>;
  { Cell::gates } -> std::convertible_to<std::size_t>;
  std::tuple_size<std::remove_cvref_t<decltype(Cell::states)>>::value;
} && Cell::gates > 0 && detail::Shape<Cell>::states > 0 &&
    detail::Shape<Cell>::states <= kMaxStates && detail::Shape<Cell>::vectors <= kMaxVectors &&
    detail::Shape<Cell>::inputs <= 64 && detail::returns_every_state<Cell>();

/// The engine's view of `Cell`, made once per program.
template <class Cell>
const CellSpec& spec() {
  static_assert(requires { Cell::name; Cell::gates; Cell::states; },
                "a cell declaration needs `name`, `gates` and `states` (see Writing a "
                "recurrent cell)");
  static_assert(detail::returns_every_state<Cell>(),
                "the cell's step must return std::tuple{...} with one value per declared state");
  static_assert(Declaration<Cell>, "not a valid cell declaration (limits: 1 to 6 states, at most "
                                   "8 vectors and 64 step inputs)");
  using S = detail::Shape<Cell>;
  static_assert(S::recurrent_states >= 1 && S::recurrent_states <= kMaxRecurrentStates &&
                    S::recurrent_states <= S::states,
                "recurrent_states must be 1 to 3 and at most the number of states");
  static const CellSpec spec = [] {
    CellSpec s;
    s.name = Cell::name;
    s.gates = S::gates;
    s.states = S::states;
    s.vectors = S::vectors;
    s.recurrent_states = S::recurrent_states;
    s.recurrence = S::recurrence;
    for (std::size_t k = 0; k < S::states; ++k) {
      s.state_names[k] = Cell::states[k];
      s.step_reads_state[k] = detail::has<detail::read_mask<Cell>()>(
          static_cast<unsigned>(S::first_state + k));
    }
    if constexpr (S::vectors > 0)
      for (std::size_t k = 0; k < S::vectors; ++k) s.vector_names[k] = Cell::vectors[k];
    s.forward = &detail::forward_rows<Cell>;
    s.backward = &detail::backward_rows<Cell>;
    s.composite = &detail::composite_step<Cell>;
    return s;
  }();
  return spec;
}

}  // namespace recur::cell

// The tuple protocol of the engine's input groups, for structured bindings.
/// @cond
template <class... T>
struct std::tuple_size<recur::cell::detail::Group<T...>>
    : std::integral_constant<std::size_t, sizeof...(T)> {};
template <std::size_t I, class... T>
struct std::tuple_element<I, recur::cell::detail::Group<T...>> {
  using type = std::tuple_element_t<I, std::tuple<T...>>;
};
/// @endcond
