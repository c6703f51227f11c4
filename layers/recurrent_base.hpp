/// @file
/// The engine behind nn::RNN, nn::LSTM and nn::GRU: parameters named as torch.nn names them,
/// each layer direction as one fused node (layers/fused_sequence.hpp) or, when a step needs a
/// mask, recurrent dropout or a projection, the time loop over the shared cell equations;
/// layers, directions, packed-sequence lengths and the dropouts.
#pragma once

#include <cstddef>
#include <vector>

#include "autograd/var.hpp"
#include "core/tensor.hpp"
#include "layers/module.hpp"

namespace recur::nn::detail {

enum class CellKind;

/// Everything a sequence layer is built from (the union of the three option structs).
struct RecurrentSpec {
  const char* name = "";          ///< "RNN", "LSTM" or "GRU", for messages.
  CellKind kind{};                ///< Which cell.
  std::size_t input_size = 0;     ///< I
  std::size_t hidden_size = 0;    ///< H
  std::size_t num_layers = 1;     ///< L
  bool bias = true;               ///< bias_ih and bias_hh present
  bool batch_first = false;       ///< [B, T, F] instead of [T, B, F]
  float dropout = 0.0f;           ///< on the outputs of every layer but the last, in training
  bool bidirectional = false;     ///< D = 2
  std::size_t proj_size = 0;      ///< P, LSTM only; 0 for none
  float forget_bias = 0.0f;       ///< LSTM only; added to bias_ih's forget slice at init
  float recurrent_dropout = 0.0f; ///< variational dropout on h before W_hh, in training
};

/// What a forward pass returns: output [T, B, D*Hout] (or [B, T, D*Hout]), h_n [L*D, B, Hout],
/// and for the LSTM c_n [L*D, B, H].
struct RecurrentOutputs {
  Var output;  ///< Every step's top-layer h.
  Var h_n;     ///< Each layer and direction's final h.
  Var c_n;     ///< The LSTM's final c; empty otherwise.
};

/// The shared implementation of RNN, LSTM and GRU.
class RecurrentBase : public Module {
 protected:
  /// Checks the options (recur::ValueError naming the layer) and registers and initialises
  /// the parameters in torch.nn's order and with its names.
  explicit RecurrentBase(const RecurrentSpec& spec);

  /// The forward pass. `h0` and `c0` may be empty (zeros); `lengths` may be null (every
  /// sequence runs all T steps). An unbatched input [T, I] (with 2-D states) runs as a batch of
  /// one and gives 2-D results, as in torch.nn.
  /// @throws recur::ShapeError or recur::ValueError naming the layer.
  RecurrentOutputs run(const Var& input, const Var& h0, const Var& c0,
                       const IndexTensor* lengths);

 private:
  // The parameters of one layer and direction; biases and weight_hr may be null.
  struct DirectionParameters {
    Parameter* weight_ih = nullptr;
    Parameter* weight_hh = nullptr;
    Parameter* bias_ih = nullptr;
    Parameter* bias_hh = nullptr;
    Parameter* weight_hr = nullptr;
  };

  RecurrentOutputs run_unbatched(const Var& input, const Var& h0, const Var& c0,
                                 const IndexTensor* lengths);

  RecurrentSpec spec_;
  std::vector<DirectionParameters> parameters_;  // index: layer * directions + direction
};

}  // namespace recur::nn::detail
