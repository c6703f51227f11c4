/// @file
/// recurrence(): a whole sequence of one recurrent layer and direction as one tape op, for any
/// cell declared on the engine (autograd/cell_kernels.hpp). Its forward is a packed product per
/// step (the input and the fed-back state through the same weights panels) and the cell's
/// pointwise step over the step's rows; its backward is derived from the same step (dual numbers),
/// so no cell and no layer writes backpropagation through time. The layers of layers/recurrent.hpp
/// call it once per layer and direction.
#pragma once

#include <array>
#include <cstddef>

#include "autograd/cell_declaration.hpp"
#include "autograd/var.hpp"
#include "core/tensor.hpp"

namespace recur {

/// What recurrence() runs over. Shapes: T steps, B batch, I input features, H hidden units,
/// G = gates * H, P the output width (H, or the projection's size), R the fed-back states.
struct RecurrenceInputs {
  Var input;      ///< [T, B, I], time-major.
  Var weight_ih;  ///< [G, I]
  Var bias_ih;    ///< [G] or empty.
  Var weight_hh;  ///< [G, R * P] for a dense or separate recurrence; empty for none.
  Var bias_hh;    ///< [G] or empty (no recurrent weight: leave empty).
  Var weight_hr;  ///< [P, H] output projection (a cell whose step does not read h), or empty.
  /// [B, P]: multiplies h where it enters the recurrent product (variational recurrent dropout,
  /// the keep scale included), or empty.
  Var recurrent_mask;
  /// The states before the first step: [B, P] for h, [B, H] for the others; empty for zeros.
  std::array<Var, cell::kMaxStates> initial;
  /// The cell's per-unit parameters, [H] each, in its declaration's order.
  std::array<Var, cell::kMaxVectors> vectors;
  /// Each sequence's length [B], in [1, T], or null for all T. With packed-sequence meaning: a
  /// sequence's state stops at its last step, the reverse direction starts there, and its outputs
  /// past it are zero with no gradient.
  const IndexTensor* lengths = nullptr;
  bool reverse = false;  ///< Process steps T-1 down to 0.
};

/// recurrence()'s results.
struct RecurrenceResult {
  Var output;  ///< [T, B, P], every step's h (zero past a sequence's length).
  /// Each state after each sequence's last step: [B, P] for h, [B, H] for the others.
  std::array<Var, cell::kMaxStates> final;
};

/// Runs `cell` over the sequence and records one node (plus one small node per final state).
/// @throws recur::ShapeError naming the cell and the shapes when the inputs do not fit;
///         recur::ValueError for a bad length or an option the cell cannot take (a projection
///         of a cell whose step reads h).
RecurrenceResult recurrence(const cell::CellSpec& cell, const RecurrenceInputs& inputs);

/// The same computation as recurrence(), recorded op by op: linear() for the input projection,
/// then per step the recurrent product, the cell's step on recur::Var (its composite form) and,
/// for a padded batch, recur::where() masks. Backpropagation through time is then the tape's own
/// walk over those ops. Several times slower; it is the reference the tests hold recurrence() to
/// (values and every gradient), and what recurrent layers run inside a
/// recur::nn::ReferencePathGuard.
/// @throws as recurrence().
RecurrenceResult recurrence_reference(const cell::CellSpec& cell, const RecurrenceInputs& inputs);

}  // namespace recur
