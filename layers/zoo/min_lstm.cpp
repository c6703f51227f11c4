// minLSTM: its kernels, and its coefficients for the log-space scan.
#include "layers/zoo/min_lstm.hpp"

#include "autograd/cell_kernels.hpp"
#include "autograd/ops/activations.hpp"
#include "autograd/ops/elementwise.hpp"
#include "autograd/ops/shape_ops.hpp"

namespace recur::nn {
namespace {

RecurrentOptions options_of(const MinLSTMOptions& o) {
  return {.input_size = o.input_size, .hidden_size = o.hidden_size, .num_layers = o.num_layers,
          .bias = o.bias, .batch_first = o.batch_first, .dropout = o.dropout,
          .bidirectional = o.bidirectional};
}

}  // namespace

const cell::CellSpec& detail::min_lstm_spec() { return cell::spec<cells::MinLSTM>(); }

MinLSTM::MinLSTM(const MinLSTMOptions& options)
    : ScanLayer("MinLSTM", detail::min_lstm_spec(), options_of(options), &detail::linear_uniform,
                options.parallel_scan),
      options_(options) {}

std::pair<Var, Var> MinLSTM::log_coefficients(const Var& gates) const {
  const std::size_t H = options_.hidden_size;
  const Var k_f = slice(gates, 2, 0, H), k_i = slice(gates, 2, H, 2 * H);
  const Var k_h = slice(gates, 2, 2 * H, 3 * H);
  // d = log(1/sigmoid(k_f)) - log(1/sigmoid(k_i)) = log(i / f): log f' = -softplus(d),
  // log i' = -softplus(-d)
  const Var d = softplus(-k_f) - softplus(-k_i);
  return {-softplus(d), -softplus(-d) + log_positive_candidate(k_h)};
}

}  // namespace recur::nn
