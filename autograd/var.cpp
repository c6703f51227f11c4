#include "autograd/var.hpp"

#include "autograd/tape.hpp"
#include "autograd/tape_registry.hpp"
#include "core/error.hpp"

namespace recur {

Tape& Var::live_tape(const char* op) const {
  if (slot_ == nullptr)
    throw TapeError(std::string(op) + ": the Var is empty (default-constructed); pass a value "
                    "made by an op or by Tape::input");
  // One atomic load of memory that outlives every tape: the tape itself is read only once
  // this says it still exists and still holds this value.
  if (slot_->generation.load(std::memory_order_acquire) != generation_)
    throw TapeError(detail::dead_var_message(*slot_, generation_, op));
  Tape& tape = *slot_->tape.load(std::memory_order_relaxed);
  tape.check_var(*this, op);  // the index (a node an op popped after failing)
  return tape;
}

const Tensor& Var::value() const { return live_tape("Var").node(index_).data(); }

const Tensor& Var::grad() const {
  Tape& tape = live_tape("Var::grad");
  if (!tape.node(index_).requires_grad)
    throw TapeError(std::string("Var::grad: this value (made by '") + tape.node(index_).op +
                    "') does not require a gradient; make its input with requires_grad = true");
  return tape.grad_buffer(index_);
}

const Tensor::shape_type& Var::shape() const { return value().shape(); }

bool Var::requires_grad() const { return live_tape("Var").node(index_).requires_grad; }

Tape& Var::tape() const { return live_tape("Var"); }

}  // namespace recur
