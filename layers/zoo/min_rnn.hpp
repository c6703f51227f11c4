/// @file
/// What minGRU and minLSTM (Feng, Tung, Ahmed, Bengio and Hajimirsadeghi 2024, "Were RNNs All
/// We Needed?") share: the positive candidate g, and their parallel training path, a scan of
/// h_t = a_t h_{t-1} + b_t over all steps at once in log space (Heinsen 2023).
#pragma once

#include <array>
#include <cstddef>
#include <utility>

#include "autograd/cell_declaration.hpp"
#include "autograd/var.hpp"
#include "layers/recurrent_layer.hpp"

namespace recur::nn {
namespace cells {

/// The paper's g, which keeps the candidate state positive so that the scan can take its log:
/// g(k) = k + 1/2 for k >= 0, sigmoid(k) below; continuous at 0. Written without a branch (as a
/// step must be): relu(k) + sigmoid(-relu(-k)). Works on the engine's numbers and on Vars.
template <class T>
auto positive_candidate(const T& k) {
  return relu(k) + sigmoid(-relu(-k));
}

}  // namespace cells

/// Options of MinGRU and MinLSTM: torch.nn.GRU's (no projection, no recurrent dropout: there is
/// no W_hh), and the training path.
struct MinRNNOptions {
  std::size_t input_size = 0;   ///< I, features per step.
  std::size_t hidden_size = 0;  ///< H, units.
  std::size_t num_layers = 1;   ///< Stacked layers.
  bool bias = true;             ///< Adds bias_ih.
  bool batch_first = false;     ///< Input and output [B, T, F], not [T, B, F].
  float dropout = 0.0f;         ///< Dropout on each layer's output but the last, in training.
  bool bidirectional = false;   ///< Adds a reverse direction (D = 2).
  /// Runs forward() as the paper's parallel scan in log space (recur::nn::log_space_scan)
  /// instead of the engine's step loop; same parameters and results. It takes no lengths.
  bool parallel_scan = false;
};

/// log g(k) of cells::positive_candidate, computed without forming g: log_sigmoid(min(k, 0)) +
/// log(1 + 2 max(k, 0)), finite for any k.
/// @param k Any shape. @return k's shape.
Var log_positive_candidate(const Var& k);

/// h_t = a_t h_{t-1} + b_t for every t at once, from log a and log b, as the paper's log-space
/// parallel mode: with a*_t = sum_{s <= t} log a_s (cumsum), h_t = exp(a*_t +
/// logcumsumexp(log b - a*)_t) + exp(a*_t) h0. h0 stays outside the logarithm, so it may have
/// any sign (the paper passes g(h0) instead).
/// @code
/// recur::Var h = recur::nn::log_space_scan(log_a, log_b, h0);   // [T, B, H]
/// @endcode
/// @param log_a log a_t, [T, B, H]. @param log_b log b_t, [T, B, H].
/// @param h0 [B, H], or an empty Var for zeros.
/// @return h_1 .. h_T, [T, B, H].
/// @throws recur::ShapeError when the shapes differ (naming the scan and the shapes).
Var log_space_scan(const Var& log_a, const Var& log_b, const Var& h0 = Var());

namespace detail {

/// A sequence layer whose recurrence is h_t = a_t h_{t-1} + b_t with a_t and b_t from x_t only:
/// runs on the engine (the cell's step, loop over time), or with `parallel_scan` as
/// log_space_scan over each layer and direction.
class ScanLayer : public SequenceLayer {
 public:
  /// Whether forward() takes the parallel scan.
  bool parallel_scan() const { return parallel_scan_; }
  /// Chooses the path of the next forward() calls; the parameters and results are the same.
  void set_parallel_scan(bool on) { parallel_scan_ = on; }

 protected:
  /// As RecurrentLayer's; `parallel_scan` chooses the path.
  ScanLayer(const char* name, const cell::CellSpec& cell, const RecurrentOptions& options,
            void (*initialise)(CellParameters&), bool parallel_scan)
      : SequenceLayer(name, cell, options, initialise), parallel_scan_(parallel_scan) {}
  /// The engine, or the scan. @throws recur::ValueError for lengths on the scan path.
  RecurrentResult sequence(const Var& input, const IndexTensor* lengths,
                           const std::array<Var, cell::kMaxStates>& initial) override;
  /// log a and log b of every step from its pre-activations x W_ih^T + b_ih [T, B, G].
  virtual std::pair<Var, Var> log_coefficients(const Var& gates) const = 0;

 private:
  RecurrentResult scan(const Var& input, const std::array<Var, cell::kMaxStates>& initial);
  bool parallel_scan_;
};

/// nn.Linear's initialisation, which the paper's layers use: every weight and bias uniform in
/// +-1/sqrt(input_size).
void linear_uniform(CellParameters& p);

}  // namespace detail
}  // namespace recur::nn
