#include "autograd/var.hpp"

#include "autograd/tape.hpp"
#include "core/error.hpp"

namespace recur {

void Var::check_live() const { tape_ == nullptr ? throw TapeError("Var: the handle is empty (default-constructed)") : tape_->check_var(*this, "Var"); }

const Tensor& Var::value() const {
  check_live();
  return tape_->node(index_).data();
}

const Tensor& Var::grad() const {
  check_live();
  if (!tape_->node(index_).requires_grad)
    throw TapeError(std::string("Var::grad: this value (made by '") + tape_->node(index_).op +
                    "') does not require a gradient; make its input with requires_grad = true");
  return tape_->grad_buffer(index_);
}

const Tensor::shape_type& Var::shape() const { return value().shape(); }

bool Var::requires_grad() const {
  check_live();
  return tape_->node(index_).requires_grad;
}

Tape& Var::tape() const {
  check_live();
  return *tape_;
}

}  // namespace recur
