/// @file
/// Recurrent layers for any cell declared on the engine: nn::Recurrent<Cell> runs a whole
/// sequence (layers, directions, padded batches, dropouts, projection, as nn::LSTM does), and
/// nn::RecurrentCell<Cell> one step. See @ref writing_a_cell "Writing a recurrent cell".
/// Including this header compiles the cell's kernels in the including file (it brings in
/// autograd/cell_kernels.hpp and xsimd); the built-in layers' headers do not.
#pragma once

#include <array>
#include <cstddef>

#include "autograd/cell_kernels.hpp"
#include "layers/recurrent_layer.hpp"

namespace recur::nn {

namespace detail {
/// The cell's `static void initialise(CellParameters&)`, or null when it has none.
template <class Cell>
constexpr void (*initialise_of())(CellParameters&) {
  if constexpr (requires(CellParameters& p) { Cell::initialise(p); }) return &Cell::initialise;
  else return nullptr;
}
}  // namespace detail

/// A multi-layer recurrent layer over whole sequences for a declared cell.
///
/// Parameters per layer and direction, named as torch.nn names them: weight_ih_l{k}[_reverse]
/// [G, I or D*Hout], weight_hh_l{k} [G, R*Hout] (unless the cell has no recurrent product),
/// bias_ih_l{k} and bias_hh_l{k} [G], each of the cell's vectors as `name`_l{k} [H], and with
/// proj_size weight_hr_l{k} [P, H].
/// @code
/// recur::nn::Recurrent<PeepholeLSTM> layer({.input_size = 32, .hidden_size = 64,
///                                           .num_layers = 2, .bidirectional = true});
/// recur::nn::RecurrentResult r = layer(x);     // x [T, B, 32] -> r.output [T, B, 128]
/// recur::Var h_n = r.states[0], c_n = r.states[1];   // [4, B, 64] each
/// @endcode
template <cell::Declaration Cell>
class Recurrent : public detail::SequenceLayer {
 public:
  /// A layer with freshly initialised weights (uniform(-1/sqrt(H), 1/sqrt(H)), then the cell's
  /// `initialise` hook if it has one).
  /// @throws recur::ValueError for bad options.
  explicit Recurrent(const RecurrentOptions& options)
      : SequenceLayer(Cell::name, cell::spec<Cell>(), options, detail::initialise_of<Cell>()) {}
  /// The options the layer was built with.
  const RecurrentOptions& options() const { return recurrent_options(); }
};

/// The options of a one-step cell module, as torch.nn.LSTMCell's.
struct RecurrentCellOptions {
  std::size_t input_size = 0;   ///< I, features per input row.
  std::size_t hidden_size = 0;  ///< H, units of the cell.
  bool bias = true;             ///< Adds bias_ih (and bias_hh when the cell has W_hh).
};

/// One time step of a declared cell, as torch.nn.LSTMCell is one step of an LSTM: parameters
/// weight_ih, weight_hh, bias_ih, bias_hh and the cell's vectors, without a layer suffix.
/// @code
/// recur::nn::RecurrentCell<PeepholeLSTM> cell({.input_size = 4, .hidden_size = 8});
/// auto state = cell(x);             // x [B, 4] -> {h, c}, [B, 8] each
/// state = cell(x2, state);
/// @endcode
template <cell::Declaration Cell>
class RecurrentCell : public detail::StepModule {
 public:
  /// A cell with freshly initialised weights.
  /// @throws recur::ValueError for a zero size.
  explicit RecurrentCell(const RecurrentCellOptions& options)
      : StepModule(Cell::name, cell::spec<Cell>(), options.input_size, options.hidden_size,
                   options.bias, detail::initialise_of<Cell>()),
        options_(options) {}
  /// One step: x [B, I] and the states [B, H] (empty for zeros) -> the new states.
  /// @throws recur::ShapeError naming the cell when x or a state does not fit.
  std::array<Var, cell::kMaxStates> forward(const Var& x,
                                            const std::array<Var, cell::kMaxStates>& states = {}) {
    return step(x, states);
  }
  /// forward(x, states).
  std::array<Var, cell::kMaxStates> operator()(
      const Var& x, const std::array<Var, cell::kMaxStates>& states = {}) {
    return forward(x, states);
  }
  /// The options the cell was built with.
  const RecurrentCellOptions& options() const { return options_; }

 private:
  RecurrentCellOptions options_;
};

}  // namespace recur::nn
