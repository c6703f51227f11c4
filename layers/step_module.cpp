// The one-step cells: parameters named as torch.nn's cells name them, shape checks, and one
// recurrence() over a single time step (or its reference inside a ReferencePathGuard).
#include <string>

#include "autograd/ops/recurrence.hpp"
#include "autograd/ops/shape_ops.hpp"
#include "autograd/tape.hpp"
#include "core/error.hpp"
#include "layers/recurrent_layer.hpp"

namespace recur::nn::detail {

StepModule::StepModule(const char* name, const cell::CellSpec& cell, std::size_t input_size,
                       std::size_t hidden_size, bool bias, void (*initialise)(CellParameters&))
    : name_(name), cell_(cell), input_size_(input_size), hidden_size_(hidden_size) {
  require_positive(name, "input_size", input_size);
  require_positive(name, "hidden_size", hidden_size);
  const bool has_product = cell.recurrence != cell::Recurrence::none;
  const std::size_t G = cell.gates * hidden_size, H = hidden_size;
  weight_ih_ = &register_parameter("weight_ih", recurrent_uniform({G, input_size}, H));
  if (has_product)
    weight_hh_ = &register_parameter("weight_hh",
                                     recurrent_uniform({G, cell.recurrent_states * H}, H));
  if (bias) {
    bias_ih_ = &register_parameter("bias_ih", recurrent_uniform({G}, H));
    if (has_product) bias_hh_ = &register_parameter("bias_hh", recurrent_uniform({G}, H));
  }
  for (std::size_t k = 0; k < cell.vectors; ++k)
    vectors_[k] = &register_parameter(cell.vector_names[k], recurrent_uniform({H}, H));
  if (initialise) {
    CellParameters view{input_size, H, &weight_ih_->value,
                        weight_hh_ ? &weight_hh_->value : nullptr,
                        bias_ih_ ? &bias_ih_->value : nullptr,
                        bias_hh_ ? &bias_hh_->value : nullptr, {}, &default_generator()};
    for (std::size_t k = 0; k < cell.vectors; ++k) view.vectors[k] = &vectors_[k]->value;
    initialise(view);
    const auto kept = [&](const char* what, const Tensor* value, const Shape& shape) {
      if (value && !std::equal(value->shape().begin(), value->shape().end(), shape.begin(),
                               shape.end()))
        throw ShapeError(std::string(name) + ": the cell's initialise() left " + what +
                         " with shape " + shape_str(value->shape()) + " but it must be " +
                         shape_str(shape));
    };
    kept("weight_ih", view.weight_ih, {G, input_size});
    kept("weight_hh", view.weight_hh, {G, cell.recurrent_states * H});
    kept("bias_ih", view.bias_ih, {G});
    kept("bias_hh", view.bias_hh, {G});
    for (std::size_t k = 0; k < cell.vectors; ++k)
      kept(cell.vector_names[k], view.vectors[k], {H});
  }
}

std::array<Var, cell::kMaxStates> StepModule::step(
    const Var& x, const std::array<Var, cell::kMaxStates>& states) {
  const ModuleScope scope(this->name());  // anomaly errors name the cell's place in the model
  const std::string name = name_;
  // An empty batch is refused like in the sequence layers: it is always a data-pipeline bug.
  if (!x.defined() || x.rank() != 2 || x.dim(1) != input_size_ || x.dim(0) == 0)
    throw ShapeError(name + ": expected input [B, " + std::to_string(input_size_) +
                     "] (B > 0) but got " +
                     (x.defined() ? shape_str(x.shape()) : std::string("an empty Var")));
  const std::size_t batch = x.dim(0);
  const Shape state_shape{batch, hidden_size_};
  for (std::size_t k = 0; k < cell_.states; ++k) {
    const Var& state = states[k];
    if (state.defined() && !std::equal(state.shape().begin(), state.shape().end(),
                                       state_shape.begin(), state_shape.end()))
      throw ShapeError(name + ": expected " + cell_.state_names[k] + " " + shape_str(state_shape) +
                       " for input " + shape_str(x.shape()) + " but got " +
                       shape_str(state.shape()));
  }
  Tape& tape = x.tape();
  const auto leaf = [&](Parameter* parameter) {
    return parameter ? tape.parameter(*parameter) : Var();
  };
  RecurrenceInputs in;
  in.input = reshape(x, {1, batch, input_size_});
  in.weight_ih = leaf(weight_ih_);
  in.bias_ih = leaf(bias_ih_);
  in.weight_hh = leaf(weight_hh_);
  in.bias_hh = leaf(bias_hh_);
  in.initial = states;
  for (std::size_t k = 0; k < cell_.vectors; ++k) in.vectors[k] = leaf(vectors_[k]);
  const RecurrenceResult result = use_reference_path() ? recurrence_reference(cell_, in)
                                                       : recurrence(cell_, in);
  return result.final;
}

}  // namespace recur::nn::detail
