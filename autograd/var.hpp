/// @file
/// Var: a handle to one value recorded on a Tape.
#pragma once

#include <cstdint>

#include "core/tensor.hpp"

namespace recur {

class Tape;
namespace detail {
struct TapeSlot;
}

/// A small handle (tape, node index, generation) to a value computed on a tape.
///
/// Copying a Var copies the handle, not the tensor. A Var stays valid until its tape is
/// cleared or destroyed; using it after either throws recur::TapeError instead of reading stale
/// or freed memory (the check reads a small slot that outlives the tape, never the tape itself).
/// @code
/// recur::Tape tape;
/// recur::Var x = tape.input(recur::full({2, 2}, 1.0f), /*requires_grad=*/true);
/// recur::Var y = recur::sum(recur::mul(x, x));
/// tape.backward(y);
/// const recur::Tensor& dy_dx = x.grad();   // 2 * x
/// @endcode
class Var {
 public:
  /// An empty handle; defined() is false.
  Var() = default;

  /// The value computed by the forward pass.
  /// @throws recur::TapeError if the handle is empty, or its tape was destroyed or cleared
  ///         since the value was computed (as does every accessor below).
  const Tensor& value() const;
  /// The gradient of the last backward's loss with respect to this value (zeros where no
  /// gradient reached).
  /// @throws recur::TapeError if this value does not require a gradient.
  const Tensor& grad() const;
  /// The shape of value().
  const Tensor::shape_type& shape() const;
  /// The extent of one axis.
  std::size_t dim(std::size_t axis) const { return shape()[axis]; }
  /// The number of axes.
  std::size_t rank() const { return shape().size(); }
  /// True when a gradient flows back through this value.
  bool requires_grad() const;
  /// True when this handle refers to a value.
  bool defined() const { return slot_ != nullptr; }
  /// The tape this value is recorded on.
  /// @throws recur::TapeError if that tape was destroyed or cleared since this value was made.
  Tape& tape() const;
  /// The position of this value on its tape.
  std::uint32_t index() const { return index_; }

 private:
  friend class Tape;
  friend class NodeRecorder;
  Var(detail::TapeSlot* slot, std::uint32_t index, std::uint64_t generation)
      : slot_(slot), index_(index), generation_(generation) {}
  // This Var's tape, after checking that it is live; `op` names the caller in the error.
  Tape& live_tape(const char* op) const;

  detail::TapeSlot* slot_ = nullptr;  // the registry slot of the tape (outlives the tape)
  std::uint32_t index_ = 0;
  std::uint64_t generation_ = 0;
};

}  // namespace recur
