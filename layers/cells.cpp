// RNNCell, LSTMCell and GRUCell: parameters with torch.nn's names, shape checks, and one call
// into the shared cell equations (cell_steps.cpp).
#include "layers/cells.hpp"

#include <string>

#include "autograd/ops/linalg.hpp"
#include "autograd/tape.hpp"
#include "core/error.hpp"
#include "layers/cell_steps.hpp"

namespace recur::nn {
namespace detail {
namespace {

// "[B, 6]" for a message, with the expected feature count filled in.
std::string rows_of(std::size_t features) { return "[B, " + std::to_string(features) + "]"; }

Var zero_state(Tape& tape, std::size_t batch, std::size_t features) {
  return tape.zeros({batch, features});
}

}  // namespace

CellBase::CellBase(const char* name, CellKind kind, std::size_t input_size,
                   std::size_t hidden_size, bool bias)
    : name_(name), kind_(kind), input_size_(input_size), hidden_size_(hidden_size) {
  require_positive(name, "input_size", input_size);
  require_positive(name, "hidden_size", hidden_size);
  const std::size_t gates = gate_count(kind) * hidden_size;
  weight_ih_ = &register_parameter("weight_ih", recurrent_uniform({gates, input_size}, hidden_size));
  weight_hh_ = &register_parameter("weight_hh", recurrent_uniform({gates, hidden_size}, hidden_size));
  if (bias) {
    bias_ih_ = &register_parameter("bias_ih", recurrent_uniform({gates}, hidden_size));
    bias_hh_ = &register_parameter("bias_hh", recurrent_uniform({gates}, hidden_size));
  }
}

StepState CellBase::step(const Var& x, const Var& h, const Var& c) {
  const ModuleScope scope(this->name());  // anomaly errors name the cell's place in the model
  const std::string name = name_;
  // An empty batch is refused like in the sequence layers: it is always a data-pipeline bug.
  if (x.rank() != 2 || x.dim(1) != input_size_ || x.dim(0) == 0)
    throw ShapeError(name + ": expected input " + rows_of(input_size_) + " (B > 0) but got " +
                     shape_str(x.shape()));
  const std::size_t batch = x.dim(0);
  const Shape state_shape{batch, hidden_size_};
  const auto check_state = [&](const Var& state, const char* which) {
    if (state.defined() && !std::equal(state.shape().begin(), state.shape().end(),
                                       state_shape.begin(), state_shape.end()))
      throw ShapeError(name + ": expected " + which + " " + shape_str(state_shape) +
                       " for input " + shape_str(x.shape()) + " but got " +
                       shape_str(state.shape()));
  };
  check_state(h, "h");
  check_state(c, "c");
  Tape& tape = x.tape();
  StepState state{h.defined() ? h : zero_state(tape, batch, hidden_size_), Var()};
  if (kind_ == CellKind::lstm) state.c = c.defined() ? c : zero_state(tape, batch, hidden_size_);
  const Var bias_ih = bias_ih_ ? tape.parameter(*bias_ih_) : Var();
  const StepWeights weights{tape.parameter(*weight_hh_),
                            bias_hh_ ? tape.parameter(*bias_hh_) : Var(), Var()};
  const Var gates_x = linear(x, tape.parameter(*weight_ih_), bias_ih);  // [B, G]
  return cell_step(kind_, gates_x, state, state.h, weights);
}

}  // namespace detail

namespace {

detail::CellKind rnn_kind(Nonlinearity nonlinearity) {
  return nonlinearity == Nonlinearity::relu ? detail::CellKind::rnn_relu
                                            : detail::CellKind::rnn_tanh;
}

}  // namespace

RNNCell::RNNCell(const RNNCellOptions& options)
    : CellBase("RNNCell", rnn_kind(options.nonlinearity), options.input_size,
               options.hidden_size, options.bias),
      options_(options) {}

Var RNNCell::forward(const Var& x, const Var& h) { return step(x, h, Var()).h; }

LSTMCell::LSTMCell(const LSTMCellOptions& options)
    : CellBase("LSTMCell", detail::CellKind::lstm, options.input_size, options.hidden_size,
               options.bias),
      options_(options) {
  if (options.forget_bias != 0.0f) {
    if (!options.bias)
      throw ValueError("LSTMCell: forget_bias " + std::to_string(options.forget_bias) +
                       " needs bias = true");
    detail::add_forget_bias(*bias_ih_, options.hidden_size, options.forget_bias);
  }
}

LSTMState LSTMCell::forward(const Var& x, const LSTMState& state) {
  if (state.h.defined() != state.c.defined())
    throw ValueError("LSTMCell: pass both h and c of the state, or neither (zeros)");
  const detail::StepState next = step(x, state.h, state.c);
  return {next.h, next.c};
}

GRUCell::GRUCell(const GRUCellOptions& options)
    : CellBase("GRUCell", detail::CellKind::gru, options.input_size, options.hidden_size,
               options.bias),
      options_(options) {}

Var GRUCell::forward(const Var& x, const Var& h) { return step(x, h, Var()).h; }

}  // namespace recur::nn
