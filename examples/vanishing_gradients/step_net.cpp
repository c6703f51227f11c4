#include "step_net.hpp"

namespace vanishing {

std::string cell_name(CellKind kind) {
  switch (kind) {
    case CellKind::rnn: return "RNN";
    case CellKind::lstm: return "LSTM";
    case CellKind::gru: return "GRU";
  }
  return "?";
}

// The head is built first (its weights are drawn from the generator before the cell's) and
// registered after the cell, as PyTorch would name the attributes.
StepNet::StepNet(CellKind kind, std::size_t input_size, std::size_t hidden_size) : kind_(kind) {
  auto head = std::make_unique<recur::nn::Linear>(
      recur::nn::LinearOptions{.in_features = hidden_size, .out_features = 1});
  switch (kind) {
    case CellKind::rnn:
      rnn_ = &register_module(
          "cell", recur::nn::RNNCell({.input_size = input_size, .hidden_size = hidden_size}));
      break;
    case CellKind::lstm:
      lstm_ = &register_module(
          "cell", recur::nn::LSTMCell({.input_size = input_size, .hidden_size = hidden_size}));
      break;
    case CellKind::gru:
      gru_ = &register_module(
          "cell", recur::nn::GRUCell({.input_size = input_size, .hidden_size = hidden_size}));
      break;
  }
  head_ = &register_module("head", std::move(head));
}

// x: [T, B, I] -> [B, 1]; the state starts at zero and h_t of every step is kept in `hidden`.
recur::Var StepNet::forward(recur::Tape& tape, const recur::Tensor& x,
                            std::vector<recur::Var>& hidden) {
  const recur::Var input = tape.input(x);
  hidden.clear();
  recur::Var h;
  recur::nn::LSTMState state;
  for (std::size_t t = 0; t < x.shape()[0]; ++t) {
    const recur::Var x_t = recur::select(input, 0, t);  // [B, I]
    switch (kind_) {
      case CellKind::rnn: h = (*rnn_)(x_t, h); break;
      case CellKind::lstm: state = (*lstm_)(x_t, state); h = state.h; break;
      case CellKind::gru: h = (*gru_)(x_t, h); break;
    }
    hidden.push_back(h);
  }
  return (*head_)(h);
}

recur::Parameter& StepNet::weight_hh() { return *find_parameter("cell.weight_hh"); }

}  // namespace vanishing
