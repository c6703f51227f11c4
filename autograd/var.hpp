/// @file
/// Var: a handle to one value recorded on a Tape.
#pragma once

#include <cstdint>

#include "core/tensor.hpp"

namespace recur {

class Tape;

/// A small handle (tape, node index, generation) to a value computed on a tape.
///
/// Copying a Var copies the handle, not the tensor. A Var stays valid until its tape is
/// cleared; using it after that throws recur::TapeError instead of reading stale memory.
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
  bool defined() const { return tape_ != nullptr; }
  /// The tape this value is recorded on.
  Tape& tape() const;
  /// The position of this value on its tape.
  std::uint32_t index() const { return index_; }

 private:
  friend class Tape;
  friend class NodeRecorder;
  Var(Tape* tape, std::uint32_t index, std::uint64_t generation)
      : tape_(tape), index_(index), generation_(generation) {}
  void check_live() const;

  Tape* tape_ = nullptr;
  std::uint32_t index_ = 0;
  std::uint64_t generation_ = 0;
};

}  // namespace recur
