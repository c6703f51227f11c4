/// @file
/// The cells of torch.nn as declarations on the recurrence engine: each is its step, written
/// once, from which the engine derives the fast forward, the backward and the reference
/// (autograd/cell_kernels.hpp). nn::RNN, nn::LSTM and nn::GRU (and their one-step cells) run
/// these; they are also the first examples of @ref writing_a_cell "Writing a recurrent cell".
#pragma once

#include <array>
#include <cstddef>
#include <tuple>

#include "autograd/cell_declaration.hpp"

namespace recur::nn::cells {

/// Elman RNN (torch.nn.RNN, nonlinearity tanh): h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh).
struct RNNTanh {
  static constexpr const char* name = "RNN";                  ///< For messages.
  static constexpr std::size_t gates = 1;                     ///< z
  static constexpr std::array<const char*, 1> states{"h"};    ///< The state.
  /// h' = tanh(z).
  static auto step(const auto& in) {
    const auto& [z] = in.gates;
    return std::tuple{tanh(z)};
  }
};

/// Elman RNN with relu (torch.nn.RNN, nonlinearity relu): h' = max(0, z).
struct RNNReLU {
  static constexpr const char* name = "RNN";                  ///< For messages.
  static constexpr std::size_t gates = 1;                     ///< z
  static constexpr std::array<const char*, 1> states{"h"};    ///< The state.
  /// h' = relu(z).
  static auto step(const auto& in) {
    const auto& [z] = in.gates;
    return std::tuple{relu(z)};
  }
};

/// Long short-term memory (Hochreiter and Schmidhuber 1997, with the forget gate of Gers,
/// Schmidhuber and Cummins 2000), as torch.nn.LSTM: gates i, f, g, o.
struct LSTM {
  static constexpr const char* name = "LSTM";                   ///< For messages.
  static constexpr std::size_t gates = 4;                       ///< i, f, g, o
  static constexpr std::array<const char*, 2> states{"h", "c"};  ///< Hidden and cell state.
  /// c' = f c + i g, h' = o tanh(c').
  static auto step(const auto& in) {
    const auto& [z_i, z_f, z_g, z_o] = in.gates;
    const auto& c = std::get<1>(in.state);
    const auto i = sigmoid(z_i);
    const auto f = sigmoid(z_f);
    const auto g = tanh(z_g);
    const auto o = sigmoid(z_o);
    const auto c_next = f * c + i * g;
    return std::tuple{o * tanh(c_next), c_next};
  }
};

/// Gated recurrent unit (Cho et al. 2014), as torch.nn.GRU: gates r, z, n, with b_hn inside
/// the reset product, so the input and hidden products reach the step apart.
struct GRU {
  static constexpr const char* name = "GRU";                  ///< For messages.
  static constexpr std::size_t gates = 3;                     ///< r, z, n
  static constexpr std::array<const char*, 1> states{"h"};    ///< The state.
  /// x W_ih^T + b_ih and h W_hh^T + b_hh apart.
  static constexpr cell::Recurrence recurrence = cell::Recurrence::separate;
  /// r = sigmoid(x_r + h_r), z = sigmoid(x_z + h_z), n = tanh(x_n + r h_n),
  /// h' = (1 - z) n + z h, written n + z (h - n).
  static auto step(const auto& in) {
    const auto& [x_r, x_z, x_n] = in.gates;
    const auto& [h_r, h_z, h_n] = in.hidden;
    const auto& h = std::get<0>(in.state);
    const auto r = sigmoid(x_r + h_r);
    const auto z = sigmoid(x_z + h_z);
    const auto n = tanh(x_n + r * h_n);
    return std::tuple{n + z * (h - n)};
  }
};

}  // namespace recur::nn::cells

namespace recur::nn::detail {

/// The engine's view of the built-in cells (made in builtin_cells.cpp, so that including a
/// layer's header does not compile its kernels).
const cell::CellSpec& rnn_tanh_spec();
const cell::CellSpec& rnn_relu_spec();
const cell::CellSpec& lstm_spec();
const cell::CellSpec& gru_spec();

}  // namespace recur::nn::detail
