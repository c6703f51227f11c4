// The worked example of the manual's "Writing a recurrent cell" page: a peephole LSTM, declared
// once as its step. writing_a_cell.cpp (a doc snippet run as a test), tests/layers and
// bench/recur_bench (--cell peephole) all use this one declaration.
#pragma once

#include <array>
#include <cstddef>
#include <tuple>

#include "layers/recurrent_layer.hpp"

//! [peephole cell]
// Peephole LSTM (Gers and Schmidhuber 2000, "Recurrent nets that time and count"; the vanilla
// LSTM of Greff et al. 2017): the input and forget gates also look at the cell state c, the
// output gate at the new one, each through a per-unit weight.
struct PeepholeLSTM {
  static constexpr const char* name = "PeepholeLSTM";
  static constexpr std::size_t gates = 4;                        // i, f, g, o, as torch's LSTM
  static constexpr std::array<const char*, 2> states{"h", "c"};  // h first: the output
  static constexpr std::array<const char*, 3> vectors{"weight_ci", "weight_cf", "weight_co"};

  static auto step(const auto& in) {
    const auto& [z_i, z_f, z_g, z_o] = in.gates;  // x W_ih^T + b_ih + h W_hh^T + b_hh
    const auto& c = std::get<1>(in.state);
    const auto& [w_ci, w_cf, w_co] = in.vectors;
    const auto i = sigmoid(z_i + w_ci * c);
    const auto f = sigmoid(z_f + w_cf * c);
    const auto c_next = f * c + i * tanh(z_g);
    const auto o = sigmoid(z_o + w_co * c_next);
    return std::tuple{o * tanh(c_next), c_next};
  }

  // The peepholes start at zero, so a new layer is a plain LSTM and learns how much to look.
  static void initialise(recur::nn::CellParameters& p) {
    for (recur::Tensor* peephole : p.vectors)
      if (peephole) peephole->fill(0.0f);
  }
};
//! [peephole cell]
