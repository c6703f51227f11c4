/// @file
/// A whole sequence of one recurrent layer and direction as one tape node, with a hand-written
/// BPTT backward: the fast path of nn::RNN, nn::LSTM and nn::GRU. It computes exactly what the
/// composite cell_step() ops compute (tests/layers/fused_sequence_test.cpp compares values and
/// gradients), but one node replaces ~10 nodes per step, the gate buffers are written in place,
/// and the weight gradient dW_hh is one GEMM over all T*B rows instead of T small ones.
#pragma once

#include <cstddef>

#include "autograd/var.hpp"
#include "layers/cell_steps.hpp"

namespace recur::nn::detail {

/// What fused_sequence() works on. `bias_hh` is used by the GRU only (RNN and LSTM fold it into
/// gates_x) and may be empty; `c0` only by the LSTM.
struct FusedSequenceInputs {
  Var gates_x;    ///< [T*B, G] or [T, B, G], x W_ih^T + biases, time-major (step t is rows [t*B, (t+1)*B)).
  Var h0;         ///< [B, H]
  Var c0;         ///< [B, H], LSTM only.
  Var weight_hh;  ///< [G, H]
  Var bias_hh;    ///< [G] or empty, GRU only.
};

/// Runs steps t = 0..T-1 (or T-1..0 when `reverse`) of a cell without projection, mask or
/// recurrent dropout. Returns [T*B, H], each step's h at its time position; for the LSTM the
/// result is [(T+1)*B, H] with the final c in the last B rows.
Var fused_sequence(CellKind kind, const FusedSequenceInputs& in, std::size_t seq_len,
                   bool reverse);

}  // namespace recur::nn::detail
