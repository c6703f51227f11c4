/// @file
/// Parameter: a trainable tensor and its gradient, living as long as the model that owns it.
#pragma once

#include <cstdint>

#include "core/tensor.hpp"

namespace recur {

class Tape;

/// A trainable tensor with its gradient. Modules own parameters; the tape refers to them.
///
/// The first time a step uses a parameter, the tape adds a leaf node that refers to `value`
/// (no copy); backward adds into `grad`. `version` counts in-place changes: an optimiser step or
/// a load bumps it, and backward refuses to run with values that changed after the forward pass.
struct Parameter {
  Tensor value;                ///< The current value.
  Tensor grad;                 ///< The accumulated gradient, same shape as `value`.
  std::uint64_t version = 0;   ///< Bumped by every in-place change of `value`.
  bool requires_grad = true;   ///< False freezes the parameter: it gets no gradient.

  Parameter() = default;
  /// A parameter holding `initial`, with a zero gradient of the same shape.
  explicit Parameter(Tensor initial);

  /// Sets the gradient to zero.
  void zero_grad();
  /// Records an in-place change of `value` (call after modifying it).
  void bump_version() { ++version; }

  // Where this parameter's leaf is on the tape of the current step (set by Tape::parameter).
  const Tape* bound_tape = nullptr;   ///< @private
  std::uint64_t bound_generation = 0; ///< @private
  std::uint32_t bound_index = 0;      ///< @private
};

}  // namespace recur
