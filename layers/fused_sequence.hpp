/// @file
/// A whole sequence of one recurrent layer and direction as one tape node, with a hand-written
/// BPTT backward: the fast path of nn::RNN, nn::LSTM and nn::GRU. It computes exactly what
/// linear() on the input followed by the composite cell_step() ops computes
/// (tests/layers/fused_sequence_test.cpp compares values and gradients), but one node replaces
/// ~10 nodes per step, the input projection is done step by step in the same pass over the gates
/// as the recurrent product (no [T*B, G] buffer of projected inputs, no separate GEMM whose inner
/// size is the often small input width), and the weight gradients are one GEMM each over all
/// T*B rows instead of T small ones.
#pragma once

#include <cstddef>

#include "autograd/var.hpp"
#include "layers/cell_steps.hpp"

namespace recur::nn::detail {

/// What fused_sequence() works on. Each step's pre-activation is
/// x_t W_ih^T + bias_x + h W_hh^T; the GRU adds bias_hh to h W_hh^T, since its candidate gate
/// multiplies that part by r (RNN and LSTM fold bias_hh into bias_x). Optional parts may be empty.
struct FusedSequenceInputs {
  Var input;      ///< [T, B, I] or [T*B, I], time-major (step t is rows [t*B, (t+1)*B)).
  Var weight_ih;  ///< [G, I]
  Var bias_x;     ///< [G] or empty.
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
