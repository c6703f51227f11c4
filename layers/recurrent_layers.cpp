// RNN, LSTM and GRU: each turns its options into the shared engine's spec and its results into
// PyTorch's tuples.
#include "core/error.hpp"
#include "layers/cell_steps.hpp"
#include "layers/gru.hpp"
#include "layers/lstm.hpp"
#include "layers/rnn.hpp"

namespace recur::nn {
namespace {

detail::RecurrentSpec spec_of(const RNNOptions& o) {
  return {.name = "RNN",
          .kind = o.nonlinearity == Nonlinearity::relu ? detail::CellKind::rnn_relu
                                                       : detail::CellKind::rnn_tanh,
          .input_size = o.input_size, .hidden_size = o.hidden_size, .num_layers = o.num_layers,
          .bias = o.bias, .batch_first = o.batch_first, .dropout = o.dropout,
          .bidirectional = o.bidirectional, .recurrent_dropout = o.recurrent_dropout};
}

detail::RecurrentSpec spec_of(const LSTMOptions& o) {
  return {.name = "LSTM", .kind = detail::CellKind::lstm, .input_size = o.input_size,
          .hidden_size = o.hidden_size, .num_layers = o.num_layers, .bias = o.bias,
          .batch_first = o.batch_first, .dropout = o.dropout, .bidirectional = o.bidirectional,
          .proj_size = o.proj_size, .forget_bias = o.forget_bias,
          .recurrent_dropout = o.recurrent_dropout};
}

detail::RecurrentSpec spec_of(const GRUOptions& o) {
  return {.name = "GRU", .kind = detail::CellKind::gru, .input_size = o.input_size,
          .hidden_size = o.hidden_size, .num_layers = o.num_layers, .bias = o.bias,
          .batch_first = o.batch_first, .dropout = o.dropout, .bidirectional = o.bidirectional,
          .recurrent_dropout = o.recurrent_dropout};
}

void require_whole_state(const LSTMState& state) {
  if (state.h.defined() != state.c.defined())
    throw ValueError(std::string("LSTM: pass both h0 and c0 of the initial state, or neither "
                                 "(zeros); got only ") + (state.h.defined() ? "h0" : "c0"));
}

}  // namespace

RNN::RNN(const RNNOptions& options) : RecurrentBase(spec_of(options)), options_(options) {}

RNNResult RNN::forward(const Var& input, const Var& h0) {
  const detail::RecurrentOutputs out = run(input, h0, Var(), nullptr);
  return {out.output, out.h_n};
}

RNNResult RNN::forward(const Var& input, const IndexTensor& lengths, const Var& h0) {
  const detail::RecurrentOutputs out = run(input, h0, Var(), &lengths);
  return {out.output, out.h_n};
}

LSTM::LSTM(const LSTMOptions& options) : RecurrentBase(spec_of(options)), options_(options) {}

LSTMResult LSTM::forward(const Var& input, const LSTMState& state) {
  require_whole_state(state);
  const detail::RecurrentOutputs out = run(input, state.h, state.c, nullptr);
  return {out.output, {out.h_n, out.c_n}};
}

LSTMResult LSTM::forward(const Var& input, const IndexTensor& lengths, const LSTMState& state) {
  require_whole_state(state);
  const detail::RecurrentOutputs out = run(input, state.h, state.c, &lengths);
  return {out.output, {out.h_n, out.c_n}};
}

GRU::GRU(const GRUOptions& options) : RecurrentBase(spec_of(options)), options_(options) {}

GRUResult GRU::forward(const Var& input, const Var& h0) {
  const detail::RecurrentOutputs out = run(input, h0, Var(), nullptr);
  return {out.output, out.h_n};
}

GRUResult GRU::forward(const Var& input, const IndexTensor& lengths, const Var& h0) {
  const detail::RecurrentOutputs out = run(input, h0, Var(), &lengths);
  return {out.output, out.h_n};
}

}  // namespace recur::nn
