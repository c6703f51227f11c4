/// @file
/// What the zoo's sequence layers share (layers/zoo/): the forward calls of nn::Recurrent, on a
/// class whose cell's kernels are compiled once in the library, so including a zoo layer's
/// header is as cheap as including nn::LSTM's. See @ref recurrent_zoo "The recurrent zoo".
#pragma once

#include <array>

#include "autograd/cell_declaration.hpp"
#include "autograd/var.hpp"
#include "core/tensor.hpp"
#include "layers/recurrent_layer.hpp"

namespace recur::nn::detail {

/// A sequence layer of the zoo: the shared recurrent layer with nn::Recurrent's forward calls.
class ZooLayer : public RecurrentLayer {
 public:
  /// Runs the whole sequence from `initial` ([L*D, B, width] per state, h first, empty for
  /// zeros). @param input [T, B, I] ([B, T, I] with batch_first), or [T, I] unbatched.
  /// @param initial The initial states in the cell's order.
  /// @throws recur::ShapeError naming the layer when the input or a state does not fit.
  RecurrentResult forward(const Var& input,
                          const std::array<Var, cell::kMaxStates>& initial = {}) {
    return sequence(input, nullptr, initial);
  }
  /// A padded batch: sequence b is `lengths(b)` steps long (1 to T), with PyTorch's
  /// packed-sequence meaning (see nn::LSTM).
  /// @param input The padded batch. @param lengths Each sequence's length [B], in [1, T].
  /// @param initial The initial states, or empty for zeros.
  /// @throws recur::ValueError for a bad length; otherwise as forward().
  RecurrentResult forward(const Var& input, const IndexTensor& lengths,
                          const std::array<Var, cell::kMaxStates>& initial = {}) {
    return sequence(input, &lengths, initial);
  }
  /// forward(input, initial).
  RecurrentResult operator()(const Var& input,
                             const std::array<Var, cell::kMaxStates>& initial = {}) {
    return forward(input, initial);
  }
  /// forward(input, lengths, initial).
  RecurrentResult operator()(const Var& input, const IndexTensor& lengths,
                             const std::array<Var, cell::kMaxStates>& initial = {}) {
    return forward(input, lengths, initial);
  }

 protected:
  using RecurrentLayer::RecurrentLayer;
  /// The forward pass; the engine's by default. A layer with another path (minGRU's parallel
  /// scan) overrides it.
  virtual RecurrentResult sequence(const Var& input, const IndexTensor* lengths,
                                   const std::array<Var, cell::kMaxStates>& initial) {
    return run(input, lengths, initial);
  }
};

}  // namespace recur::nn::detail
