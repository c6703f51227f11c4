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

StepNet::StepNet(CellKind kind, std::size_t input_size, std::size_t hidden_size)
    : kind_(kind), head_({.in_features = hidden_size, .out_features = 1}) {
  switch (kind) {
    case CellKind::rnn:
      rnn_ = std::make_unique<recur::nn::RNNCell>(
          recur::nn::RNNCellOptions{.input_size = input_size, .hidden_size = hidden_size});
      register_module("cell", *rnn_);
      break;
    case CellKind::lstm:
      lstm_ = std::make_unique<recur::nn::LSTMCell>(
          recur::nn::LSTMCellOptions{.input_size = input_size, .hidden_size = hidden_size});
      register_module("cell", *lstm_);
      break;
    case CellKind::gru:
      gru_ = std::make_unique<recur::nn::GRUCell>(
          recur::nn::GRUCellOptions{.input_size = input_size, .hidden_size = hidden_size});
      register_module("cell", *gru_);
      break;
  }
  register_module("head", head_);
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
  return head_(h);
}

recur::Parameter& StepNet::weight_hh() { return *find_parameter("cell.weight_hh"); }

}  // namespace vanishing
