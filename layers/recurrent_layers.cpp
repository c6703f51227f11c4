// RNN, LSTM and GRU: each is the shared sequence layer (recurrent_layer.cpp) with its built-in
// cell (builtin_cells.hpp), taking its torch.nn options and giving PyTorch's tuples.
#include "core/error.hpp"
#include "layers/builtin_cells.hpp"
#include "layers/gru.hpp"
#include "layers/lstm.hpp"
#include "layers/rnn.hpp"

namespace recur::nn {
namespace {

RecurrentOptions options_of(const RNNOptions& o) {
  return {.input_size = o.input_size, .hidden_size = o.hidden_size, .num_layers = o.num_layers,
          .bias = o.bias, .batch_first = o.batch_first, .dropout = o.dropout,
          .bidirectional = o.bidirectional, .recurrent_dropout = o.recurrent_dropout};
}

RecurrentOptions options_of(const LSTMOptions& o) {
  return {.input_size = o.input_size, .hidden_size = o.hidden_size, .num_layers = o.num_layers,
          .bias = o.bias, .batch_first = o.batch_first, .dropout = o.dropout,
          .bidirectional = o.bidirectional, .proj_size = o.proj_size,
          .recurrent_dropout = o.recurrent_dropout};
}

RecurrentOptions options_of(const GRUOptions& o) {
  return {.input_size = o.input_size, .hidden_size = o.hidden_size, .num_layers = o.num_layers,
          .bias = o.bias, .batch_first = o.batch_first, .dropout = o.dropout,
          .bidirectional = o.bidirectional, .recurrent_dropout = o.recurrent_dropout};
}

const cell::CellSpec& rnn_spec(Nonlinearity nonlinearity) {
  return nonlinearity == Nonlinearity::relu ? detail::rnn_relu_spec() : detail::rnn_tanh_spec();
}

void require_whole_state(const LSTMState& state) {
  if (state.h.defined() != state.c.defined())
    throw ValueError(std::string("LSTM: pass both h0 and c0 of the initial state, or neither "
                                 "(zeros); got only ") + (state.h.defined() ? "h0" : "c0"));
}

}  // namespace

RNN::RNN(const RNNOptions& options)
    : RecurrentLayer("RNN", rnn_spec(options.nonlinearity), options_of(options), nullptr),
      options_(options) {}

RNNResult RNN::forward(const Var& input, const Var& h0) {
  const RecurrentResult out = run(input, nullptr, {h0});
  return {out.output, out.states[0]};
}

RNNResult RNN::forward(const Var& input, const IndexTensor& lengths, const Var& h0) {
  const RecurrentResult out = run(input, &lengths, {h0});
  return {out.output, out.states[0]};
}

LSTM::LSTM(const LSTMOptions& options)
    : RecurrentLayer("LSTM", detail::lstm_spec(), options_of(options), nullptr),
      options_(options) {
  detail::require_chrono("LSTM", options.chrono_init, options.bias);
  if (options.chrono_init != 0.0f && options.forget_bias != 0.0f)
    throw ValueError("LSTM: chrono_init and forget_bias both set the forget-gate bias; give one");
  if (options.forget_bias == 0.0f && options.chrono_init == 0.0f) return;
  if (!options.bias)
    throw ValueError("LSTM: forget_bias " + std::to_string(options.forget_bias) +
                     " needs bias = true");
  const std::size_t directions = options.bidirectional ? 2 : 1;
  for (std::size_t layer = 0; layer < options.num_layers; ++layer)
    for (std::size_t direction = 0; direction < directions; ++direction) {
      Parameter& bias_ih = *parameter_of("bias_ih", layer, direction);
      if (options.chrono_init != 0.0f)  // gates i, f, g, o: keep f (block 1), write i (block 0)
        detail::chrono_bias(bias_ih, parameter_of("bias_hh", layer, direction),
                            options.hidden_size, 1, 0, options.chrono_init);
      else
        detail::add_forget_bias(bias_ih, options.hidden_size, options.forget_bias);
    }
}

LSTMResult LSTM::forward(const Var& input, const LSTMState& state) {
  require_whole_state(state);
  const RecurrentResult out = run(input, nullptr, {state.h, state.c});
  return {out.output, {out.states[0], out.states[1]}};
}

LSTMResult LSTM::forward(const Var& input, const IndexTensor& lengths, const LSTMState& state) {
  require_whole_state(state);
  const RecurrentResult out = run(input, &lengths, {state.h, state.c});
  return {out.output, {out.states[0], out.states[1]}};
}

GRU::GRU(const GRUOptions& options)
    : RecurrentLayer("GRU", detail::gru_spec(), options_of(options), nullptr),
      options_(options) {
  detail::require_chrono("GRU", options.chrono_init, options.bias);
  if (options.chrono_init == 0.0f) return;
  const std::size_t directions = options.bidirectional ? 2 : 1;
  for (std::size_t layer = 0; layer < options.num_layers; ++layer)
    for (std::size_t direction = 0; direction < directions; ++direction)  // r, z, n: keep z
      detail::chrono_bias(*parameter_of("bias_ih", layer, direction),
                          parameter_of("bias_hh", layer, direction), options.hidden_size, 1, -1,
                          options.chrono_init);
}

GRUResult GRU::forward(const Var& input, const Var& h0) {
  const RecurrentResult out = run(input, nullptr, {h0});
  return {out.output, out.states[0]};
}

GRUResult GRU::forward(const Var& input, const IndexTensor& lengths, const Var& h0) {
  const RecurrentResult out = run(input, &lengths, {h0});
  return {out.output, out.states[0]};
}

}  // namespace recur::nn
