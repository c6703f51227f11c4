/// @file
/// What the recurrence engine knows of a cell: its shape (gates, states, per-unit vectors, how a
/// step's pre-activations are formed) and the functions derived from its step. A cell is
/// declared once as a struct (see @ref writing_a_cell "Writing a recurrent cell"); the
/// templates of autograd/cell_kernels.hpp turn the declaration into a CellSpec, which is all the
/// engine (autograd/ops/recurrence.hpp) and the layers (layers/recurrent.hpp) use.
#pragma once

#include <array>
#include <cstddef>

#include "autograd/var.hpp"

namespace recur::cell {

/// How a step's gate pre-activations come from the input x_t and the fed-back state h_{t-1}.
enum class Recurrence {
  /// z = x W_ih^T + b_ih + h W_hh^T + b_hh, one sum per gate (RNN, LSTM).
  dense,
  /// x W_ih^T + b_ih and h W_hh^T + b_hh reach the step apart (the GRU's reset gate multiplies
  /// the hidden part only).
  separate,
  /// z = x W_ih^T + b_ih; the state enters only through the step itself (IndRNN's u * h).
  none,
};

/// Most states a cell may carry (sLSTM has four: h, c, n, m).
inline constexpr std::size_t kMaxStates = 6;
/// Most per-unit parameter vectors a cell may declare.
inline constexpr std::size_t kMaxVectors = 8;
/// Most leading states a dense or separate recurrence may feed back (coRNN feeds back two).
inline constexpr std::size_t kMaxRecurrentStates = 3;

/// One step's pointwise work over `rows` rows of `units` units, for a CellSpec's kernels. All
/// arrays are row-major floats; a gate array is [rows, gates * units] with gate g in columns
/// [g * units, (g + 1) * units), a state or state gradient is [rows, units], the vectors are
/// [vectors, units]. The forward kernel reads gates, hidden, state_in and vectors and writes
/// state_out. The backward kernel recomputes the step from the same inputs and writes
/// grad_gates, grad_hidden and grad_state_in from grad_out (grad_state_in[k] may be the same
/// memory as grad_out[k]; so may state_in[k] and state_out[k]), and adds into grad_vectors.
struct PointwiseArgs {
  std::size_t rows = 0;   ///< Rows of this step (the sequences still running).
  std::size_t units = 0;  ///< H
  /// The first unit to compute: a thread team's member may take a share of the units.
  std::size_t unit_begin = 0;
  /// One past the last unit to compute; 0 for all.
  std::size_t unit_end = 0;
  const float* gates = nullptr;   ///< Pre-activations (input part, plus hidden part if dense).
  const float* hidden = nullptr;  ///< The hidden part of a separate recurrence.
  std::array<const float*, kMaxStates> state_in{};  ///< The states before the step.
  std::array<float*, kMaxStates> state_out{};       ///< The states after the step.
  const float* vectors = nullptr;                   ///< The per-unit parameters.
  std::array<const float*, kMaxStates> grad_out{};  ///< dL/d(state after the step).
  float* grad_gates = nullptr;                      ///< dL/d gates, written.
  float* grad_hidden = nullptr;                     ///< dL/d hidden, written (separate).
  std::array<float*, kMaxStates> grad_state_in{};   ///< dL/d(state before the step), written.
  float* grad_vectors = nullptr;                    ///< dL/d vectors, added to.
  /// Floats from one row's dL/d vectors to the next (0: every row adds into the same [V, H]):
  /// a row of its own keeps each sum in one order however the rows are split over threads.
  std::size_t grad_vectors_stride = 0;
};

/// The composite (reference) step's inputs: Vars on the tape.
struct CompositeArgs {
  Var gates;   ///< [B, G] pre-activations (input part, plus hidden part if dense).
  Var hidden;  ///< [B, G] hidden part of a separate recurrence, or empty.
  std::array<Var, kMaxStates> states;    ///< [B, H] each, the states before the step.
  std::array<Var, kMaxVectors> vectors;  ///< [H] each.
};

/// A cell as the engine sees it, derived from its declaration by recur::cell::spec<Cell>().
struct CellSpec {
  const char* name = "";          ///< For messages, e.g. "LSTM".
  std::size_t gates = 0;          ///< Gate blocks: G = gates * H.
  std::size_t states = 0;         ///< States carried; state 0 is h, the layer's output.
  std::size_t vectors = 0;        ///< Per-unit parameter vectors [H].
  std::size_t recurrent_states = 1;  ///< Leading states the recurrent product reads.
  Recurrence recurrence = Recurrence::dense;  ///< How pre-activations are formed.
  std::array<const char*, kMaxStates> state_names{};    ///< "h", "c", ...
  std::array<const char*, kMaxVectors> vector_names{};  ///< Parameter names of the vectors.
  /// Whether the pointwise step reads state k (not only the recurrent product does).
  std::array<bool, kMaxStates> step_reads_state{};
  void (*forward)(const PointwiseArgs&) = nullptr;   ///< Values of one step, rows at once.
  void (*backward)(const PointwiseArgs&) = nullptr;  ///< Its gradients, recomputing the values.
  /// The same step as ops on the tape: returns the states after the step.
  std::array<Var, kMaxStates> (*composite)(const CompositeArgs&) = nullptr;
};

}  // namespace recur::cell
