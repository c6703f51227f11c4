/// @file
/// One time step of each recurrent cell, written with autograd ops only: shared by the cells
/// (RNNCell, LSTMCell, GRUCell) and the sequence layers (RNN, LSTM, GRU). No hand-written
/// backward: the tape differentiates these formulas, and walking it backwards is BPTT.
#pragma once

#include <cstddef>

#include "autograd/parameter.hpp"
#include "autograd/var.hpp"
#include "core/tensor.hpp"

namespace recur::nn::detail {

/// The kinds of recurrent cell, with PyTorch's gate counts: RNN 1, LSTM 4 (i, f, g, o), GRU 3
/// (r, z, n).
enum class CellKind { rnn_tanh, rnn_relu, lstm, gru };

/// Gate pre-activations per hidden unit: G = gate_count * H.
constexpr std::size_t gate_count(CellKind kind) {
  return kind == CellKind::lstm ? 4 : kind == CellKind::gru ? 3 : 1;
}

/// The recurrent weights a step uses. `bias_hh` may be empty (no bias, or, for RNN and LSTM
/// layers, already folded into the input projection); `weight_hr` is the LSTM's projection
/// [P, H] and is empty without proj_size.
struct StepWeights {
  Var weight_hh;  ///< [G, Hout]
  Var bias_hh;    ///< [G] or empty
  Var weight_hr;  ///< [P, H] or empty
};

/// A cell's state: h [B, Hout] and, for the LSTM, c [B, H].
struct StepState {
  Var h;  ///< Hidden state (the output of the step).
  Var c;  ///< Cell state; empty except for the LSTM.
};

/// One step: `gates_x` [B, G] is the input's contribution (x W_ih^T + b_ih), `state` the state
/// before the step, and `h_in` the h that enters the recurrent product (state.h, or state.h
/// times a recurrent-dropout mask). Returns the state after the step.
///
/// For RNN and LSTM, an empty state.h / h_in (and state.c) stands for a zero state: the first
/// step of a sequence without h0 then skips the recurrent GEMM and the forget product. The GRU
/// needs a real h.
StepState cell_step(CellKind kind, const Var& gates_x, const StepState& state, const Var& h_in,
                    const StepWeights& weights);

/// PyTorch's initialisation of every recurrent weight and bias: uniform(-k, k) with
/// k = 1/sqrt(hidden_size), drawn from recur::default_generator().
Tensor recurrent_uniform(const Shape& shape, std::size_t hidden_size);

/// Adds `forget_bias` to the forget-gate slice [H, 2H) of an LSTM's bias_ih [4H]: the option
/// PyTorch users keep asking for (pytorch#20102); Keras and DyNet start it at 1.
void add_forget_bias(Parameter& bias_ih, std::size_t hidden_size, float forget_bias);

/// @throws recur::ValueError naming `layer` unless `value` is positive.
void require_positive(const char* layer, const char* option, std::size_t value);

/// @throws recur::ValueError naming `layer` unless 0 <= p < 1.
void require_probability(const char* layer, const char* option, float p);

}  // namespace recur::nn::detail
