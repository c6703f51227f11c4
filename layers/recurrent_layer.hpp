/// @file
/// What every recurrent layer shares, whatever its cell: the options, the results, the
/// parameters (named as torch.nn names them), and the forward pass over layers, directions,
/// padded batches and the dropouts, each layer and direction one recur::recurrence() node. The
/// cells themselves are declarations (layers/builtin_cells.hpp, or a user's; see
/// @ref writing_a_cell "Writing a recurrent cell"); nn::LSTM, nn::GRU and nn::RNN, and
/// nn::Recurrent<Cell> for any declared cell, are this class with a cell.
#pragma once

#include <array>
#include <cstddef>
#include <vector>

#include "autograd/cell_declaration.hpp"
#include "autograd/var.hpp"
#include "core/random.hpp"
#include "core/tensor.hpp"
#include "layers/module.hpp"

namespace recur::nn {

/// The options of a recurrent sequence layer: torch.nn.LSTM's, plus recurrent_dropout.
struct RecurrentOptions {
  std::size_t input_size = 0;   ///< I, features per step.
  std::size_t hidden_size = 0;  ///< H, units of the cell.
  std::size_t num_layers = 1;   ///< Stacked layers.
  bool bias = true;             ///< Adds bias_ih (and bias_hh when the cell has W_hh).
  bool batch_first = false;     ///< Input and output [B, T, F], not [T, B, F].
  float dropout = 0.0f;         ///< Dropout on each layer's output but the last, in training.
  bool bidirectional = false;   ///< Adds a reverse direction (D = 2).
  /// With P > 0, h is projected to P features by weight_hr_l{k} [P, H] (needs P < H, and a cell
  /// whose step reads h only through W_hh, as the LSTM's).
  std::size_t proj_size = 0;
  /// Variational dropout on h where it enters W_hh: one mask per sequence for all steps, in
  /// training (Gal and Ghahramani 2016; pytorch#37731).
  float recurrent_dropout = 0.0f;
};

/// A sequence layer's results: PyTorch's `(output, h_n)` or `(output, (h_n, c_n))` as a list.
struct RecurrentResult {
  Var output;  ///< [T, B, D * Hout] ([B, T, ...] with batch_first): the top layer's h.
  /// Each state of the cell after the last step, [num_layers * D, B, width]: h_n first (width
  /// Hout), then the cell's other states in its declaration's order (width H); the rest empty.
  std::array<Var, cell::kMaxStates> states;
};

/// The tensors a cell's `initialise` hook fills, for one layer and direction. They come
/// initialised as torch.nn initialises recurrent layers, uniform(-1/sqrt(H), 1/sqrt(H)); the
/// hook may overwrite them (a paper's initialisation) but must keep their shapes.
struct CellParameters {
  std::size_t input_size;   ///< Features of this layer's input.
  std::size_t hidden_size;  ///< H
  Tensor* weight_ih;        ///< [G, input_size]
  Tensor* weight_hh;        ///< [G, R * Hout], or null without a recurrent product.
  Tensor* bias_ih;          ///< [G], or null without bias.
  Tensor* bias_hh;          ///< [G], or null without bias or recurrent product.
  std::array<Tensor*, cell::kMaxVectors> vectors;  ///< [H] each, the cell's vectors.
  Generator* generator;     ///< recur::default_generator(), for draws.
};

/// While one exists on this thread, recurrent layers record every time step as ops on the tape
/// (the cell's step on recur::Var, the reference the tests hold the engine to) instead of one
/// recur::recurrence() node per layer and direction. Slower; for tests and debugging. Anomaly
/// mode (recur::AnomalyModeGuard) does the same, so that a NaN or Inf is traced to the op and
/// the step that made it.
class ReferencePathGuard {
 public:
  ReferencePathGuard();
  ~ReferencePathGuard();
  ReferencePathGuard(const ReferencePathGuard&) = delete;
  ReferencePathGuard& operator=(const ReferencePathGuard&) = delete;
  /// True while a guard exists on this thread.
  static bool active();

 private:
  bool previous_;
};

namespace detail {

/// The shared implementation of every recurrent sequence layer.
class RecurrentLayer : public Module {
 public:
  /// The cell, as the engine sees it.
  const cell::CellSpec& cell() const { return cell_; }
  /// The options the layer was built with.
  const RecurrentOptions& recurrent_options() const { return options_; }

 protected:
  /// Checks the options (recur::ValueError naming `name`), registers the parameters in
  /// torch.nn's order (per layer and direction: weight_ih, weight_hh, bias_ih, bias_hh, the
  /// cell's vectors, weight_hr) and initialises them, then calls `initialise` (may be null).
  /// @throws recur::ValueError for bad options; recur::ShapeError when `initialise` changed a
  ///         parameter's shape.
  RecurrentLayer(const char* name, const cell::CellSpec& cell, const RecurrentOptions& options,
                 void (*initialise)(CellParameters&));

  /// The forward pass. `initial` holds the initial states [L*D, B, width] (empty for zeros);
  /// `lengths` may be null. An unbatched input [T, I] (with 2-D states) runs as a batch of one
  /// and gives 2-D results, as in torch.nn.
  /// @throws recur::ShapeError or recur::ValueError naming the layer.
  RecurrentResult run(const Var& input, const IndexTensor* lengths,
                      const std::array<Var, cell::kMaxStates>& initial);

  /// Parameter `name` of layer `layer` and direction `direction` (weight_ih, ..., a vector's
  /// name), or null when the layer has none.
  Parameter* parameter_of(const char* name, std::size_t layer, std::size_t direction);

 private:
  struct DirectionParameters {
    Parameter* weight_ih = nullptr;
    Parameter* weight_hh = nullptr;
    Parameter* bias_ih = nullptr;
    Parameter* bias_hh = nullptr;
    Parameter* weight_hr = nullptr;
    std::array<Parameter*, cell::kMaxVectors> vectors{};
  };
  // The states of one layer and direction after its run, and its output [T, B, Hout].
  struct DirectionRun {
    Var output;
    std::array<Var, cell::kMaxStates> final;
  };

  RecurrentResult run_batched(const Var& input, const IndexTensor* lengths,
                              const std::array<Var, cell::kMaxStates>& initial);
  RecurrentResult run_unbatched(const Var& input, const IndexTensor* lengths,
                                const std::array<Var, cell::kMaxStates>& initial);
  DirectionRun run_direction(const Var& x, const DirectionParameters& p,
                             const std::array<Var, cell::kMaxStates>& initial,
                             const Var& recurrent_mask, const IndexTensor* lengths,
                             bool reverse);
  DirectionRun run_reference(const Var& x, const DirectionParameters& p,
                             const std::array<Var, cell::kMaxStates>& initial,
                             const Var& recurrent_mask, const IndexTensor* lengths,
                             bool reverse);

  const char* name_;
  const cell::CellSpec& cell_;
  RecurrentOptions options_;
  std::vector<DirectionParameters> parameters_;  // index: layer * directions + direction
};

/// A recurrent layer with the forward calls of torch.nn.LSTM (a whole sequence, or a padded
/// batch with lengths, from given or zero states): nn::Recurrent<Cell> and the zoo's layers.
class SequenceLayer : public RecurrentLayer {
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

/// The shared implementation of the one-step cells (RNNCell, LSTMCell, GRUCell and
/// nn::RecurrentCell<Cell>): parameters weight_ih, weight_hh, bias_ih, bias_hh and the cell's
/// vectors, without a layer suffix, as torch.nn's cells name them.
class StepModule : public Module {
 public:
  /// The cell, as the engine sees it.
  const cell::CellSpec& cell() const { return cell_; }

 protected:
  /// Registers and initialises the parameters, then calls `initialise` (may be null).
  /// @throws recur::ValueError for a zero size.
  StepModule(const char* name, const cell::CellSpec& cell, std::size_t input_size,
             std::size_t hidden_size, bool bias, void (*initialise)(CellParameters&));

  /// One step: x [B, I] and the states (each [B, H], empty for zeros) -> the new states.
  /// @throws recur::ShapeError naming the cell and the shapes when x or a state does not fit.
  std::array<Var, cell::kMaxStates> step(const Var& x,
                                         const std::array<Var, cell::kMaxStates>& states);

  Parameter* weight_ih_ = nullptr;  ///< [G, I]
  Parameter* weight_hh_ = nullptr;  ///< [G, R * H] or null
  Parameter* bias_ih_ = nullptr;    ///< [G] or null
  Parameter* bias_hh_ = nullptr;    ///< [G] or null
  std::array<Parameter*, cell::kMaxVectors> vectors_{};  ///< [H] each

 private:
  const char* name_;
  const cell::CellSpec& cell_;
  std::size_t input_size_, hidden_size_;
};

/// Whether recurrent layers take recur::recurrence_reference() on this thread now (inside a
/// ReferencePathGuard, or in anomaly mode).
bool use_reference_path();

/// PyTorch's initialisation of every recurrent weight and bias: uniform(-k, k) with
/// k = 1/sqrt(hidden_size), drawn from recur::default_generator().
Tensor recurrent_uniform(const Shape& shape, std::size_t hidden_size);

/// Adds `forget_bias` to the forget-gate slice [H, 2H) of an LSTM's bias_ih [4H]: the option
/// PyTorch users keep asking for (pytorch#20102); Keras and DyNet start it at 1.
void add_forget_bias(Parameter& bias_ih, std::size_t hidden_size, float forget_bias);

/// Chrono initialisation (Tallec and Ollivier 2018, "Can recurrent neural networks warp
/// time?") of one layer and direction's gate biases: block `keep_block` (H rows) of bias_ih,
/// the gate that keeps the old state, is drawn from log(U(1, t_max - 1)); block `input_block`
/// (if not negative), the gate that writes new content, gets its negation; and those blocks of
/// bias_hh are zeroed, so each gate's total bias is exactly the chrono value. The layout of
/// the parameters does not change.
void chrono_bias(Parameter& bias_ih, Parameter* bias_hh, std::size_t hidden_size,
                 std::size_t keep_block, int input_block, float t_max);

/// @throws recur::ValueError naming `layer` unless chrono_init is 0 (off) or at least 2 with
///         bias = true.
void require_chrono(const char* layer, float chrono_init, bool bias);

/// @throws recur::ValueError naming `layer` unless `value` is positive.
void require_positive(const char* layer, const char* option, std::size_t value);

/// @throws recur::ValueError naming `layer` unless 0 <= p < 1.
void require_probability(const char* layer, const char* option, float p);

/// @throws recur::ShapeError naming `layer` unless `input` is a batch of sequences
///         [T, B, input_size] ([B, T, input_size] with `batch_first`) with T, B > 0.
void require_sequence_input(const char* layer, const Var& input, std::size_t input_size,
                            bool batch_first);

}  // namespace detail
}  // namespace recur::nn
