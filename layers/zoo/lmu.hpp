/// @file
/// nn::LMU: the Legendre memory unit (Voelker, Kajić and Eliasmith 2019), a composite module:
/// a linear memory that keeps an optimal sliding window of its input, and a nonlinear hidden
/// state that reads it.
#pragma once

#include <array>
#include <cstddef>

#include "autograd/cell_declaration.hpp"
#include "autograd/parameter.hpp"
#include "autograd/var.hpp"
#include "core/tensor.hpp"
#include "layers/module.hpp"
#include "layers/recurrent_layer.hpp"

namespace recur::nn {

/// Options of LMU.
struct LMUOptions {
  std::size_t input_size = 0;   ///< I, features per step.
  std::size_t hidden_size = 0;  ///< H, units of the hidden state.
  std::size_t memory_size = 0;  ///< d, Legendre coefficients of the memory.
  float theta = 0.0f;           ///< The window the memory spans, in steps (> 0).
  bool batch_first = false;     ///< Input and output [B, T, F], not [T, B, F].
};

/// The Legendre memory unit (Voelker, Kajić and Eliasmith 2019, "Legendre Memory Units:
/// Continuous-Time Representation in Recurrent Neural Networks"):
///   u_t = e_x . x_t + e_h . h_{t-1} + e_m . m_{t-1}
///   m_t = Abar m_{t-1} + Bbar u_t
///   h_t = tanh(W_x x_t + W_h h_{t-1} + W_m m_t)
/// where (Abar, Bbar) is the delay system theta m' = A m + B u, a_ij = (2i+1) (-1 if i < j,
/// (-1)^(i-j+1) if i >= j), b_i = (2i+1) (-1)^i, discretised with a zero-order hold over one
/// step. Abar and Bbar are fixed (computed once, in double, by a matrix exponential).
///
/// A composite module (the memory is mixed by the d x d matrix Abar): its steps are ops on the
/// tape. One layer, one direction, no padded batches. Parameters: encoder_x [1, I], encoder_h
/// [1, H], encoder_m [1, d] (e_x, e_h, e_m), weight_x [H, I], weight_h [H, H], weight_m [H, d].
/// Initialisation (the paper fixes none for every task): encoder_m zero, the others uniform in
/// +-1/sqrt(fan_in), as torch's nn.Linear.
/// @code
/// recur::nn::LMU lmu({.input_size = 1, .hidden_size = 212, .memory_size = 256,
///                     .theta = 784});
/// recur::nn::RecurrentResult r = lmu(x);   // r.output [T, B, 212]; r.states: {h_n, m_n}
/// @endcode
/// @see @ref recurrent_zoo "The recurrent zoo".
class LMU : public Module {
 public:
  /// A layer with freshly initialised weights. @throws recur::ValueError for bad options.
  explicit LMU(const LMUOptions& options);
  /// Runs the whole sequence. @param input [T, B, I] ([B, T, I] with batch_first).
  /// @param initial h0 [1, B, H] and m0 [1, B, d], or empty for zeros.
  /// @return output [T, B, H]; states[0] h_n [1, B, H], states[1] m_n [1, B, d].
  /// @throws recur::ShapeError naming the layer and the shapes when the input or a state does
  ///         not fit.
  RecurrentResult forward(const Var& input, const std::array<Var, cell::kMaxStates>& initial = {});
  /// forward(input, initial).
  RecurrentResult operator()(const Var& input,
                             const std::array<Var, cell::kMaxStates>& initial = {}) {
    return forward(input, initial);
  }
  /// The discretised memory, Abar [d, d] (row i: the new m_i from the old m).
  const Tensor& memory_a() const { return a_bar_; }
  /// The discretised input of the memory, Bbar [d].
  const Tensor& memory_b() const { return b_bar_; }
  /// The options the layer was built with.
  const LMUOptions& options() const { return options_; }

 private:
  LMUOptions options_;
  Tensor a_bar_, b_bar_;
  Parameter *encoder_x_, *encoder_h_, *encoder_m_, *weight_x_, *weight_h_, *weight_m_;
};

}  // namespace recur::nn
