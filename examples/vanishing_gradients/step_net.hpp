// A recurrent net run one cell step at a time, so that every step's hidden state is a value on
// the tape whose gradient backward() fills in: dL/dh_t with no hooks.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <recur/recur.hpp>

namespace vanishing {

/// Which cell the net steps.
enum class CellKind { rnn, lstm, gru };

/// "RNN", "LSTM" or "GRU".
std::string cell_name(CellKind kind);

/// A cell (RNNCell, LSTMCell or GRUCell) under the name `cell`, and a Linear `head` on the last
/// hidden state: x [T, B, I] -> prediction [B, 1].
class StepNet : public recur::nn::Module {
 public:
  /// A net with freshly initialised weights (from recur::default_generator()).
  StepNet(CellKind kind, std::size_t input_size, std::size_t hidden_size);

  /// Runs the sequence step by step on `tape`; `hidden` receives h_t ([B, H]) for every t.
  recur::Var forward(recur::Tape& tape, const recur::Tensor& x, std::vector<recur::Var>& hidden);

  /// The recurrent weight W_hh ([G*H, H]).
  recur::Parameter& weight_hh();

  /// The cell kind.
  CellKind kind() const { return kind_; }

 private:
  CellKind kind_;
  recur::nn::RNNCell* rnn_ = nullptr;  // the one cell, named "cell", is one of these three
  recur::nn::LSTMCell* lstm_ = nullptr;
  recur::nn::GRUCell* gru_ = nullptr;
  recur::nn::Linear* head_ = nullptr;
};

}  // namespace vanishing
