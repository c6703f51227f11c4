// RNNCell, LSTMCell and GRUCell: the one-step module (step_module.cpp) with a built-in cell.
#include "layers/cells.hpp"

#include <string>

#include "core/error.hpp"
#include "layers/builtin_cells.hpp"

namespace recur::nn {

RNNCell::RNNCell(const RNNCellOptions& options)
    : StepModule("RNNCell",
                 options.nonlinearity == Nonlinearity::relu ? detail::rnn_relu_spec()
                                                            : detail::rnn_tanh_spec(),
                 options.input_size, options.hidden_size, options.bias, nullptr),
      options_(options) {}

Var RNNCell::forward(const Var& x, const Var& h) { return step(x, {h})[0]; }

LSTMCell::LSTMCell(const LSTMCellOptions& options)
    : StepModule("LSTMCell", detail::lstm_spec(), options.input_size, options.hidden_size,
                 options.bias, nullptr),
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
  const std::array<Var, cell::kMaxStates> next = step(x, {state.h, state.c});
  return {next[0], next[1]};
}

GRUCell::GRUCell(const GRUCellOptions& options)
    : StepModule("GRUCell", detail::gru_spec(), options.input_size, options.hidden_size,
                 options.bias, nullptr),
      options_(options) {}

Var GRUCell::forward(const Var& x, const Var& h) { return step(x, {h})[0]; }

}  // namespace recur::nn
