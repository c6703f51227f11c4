// minGRU: its kernels, and its coefficients for the log-space scan.
#include "layers/zoo/min_gru.hpp"

#include "autograd/cell_kernels.hpp"
#include "autograd/ops/activations.hpp"
#include "autograd/ops/elementwise.hpp"
#include "autograd/ops/shape_ops.hpp"

namespace recur::nn {
namespace {

RecurrentOptions options_of(const MinGRUOptions& o) {
  return {.input_size = o.input_size, .hidden_size = o.hidden_size, .num_layers = o.num_layers,
          .bias = o.bias, .batch_first = o.batch_first, .dropout = o.dropout,
          .bidirectional = o.bidirectional};
}

}  // namespace

const cell::CellSpec& detail::min_gru_spec() { return cell::spec<cells::MinGRU>(); }

MinGRU::MinGRU(const MinGRUOptions& options)
    : ScanLayer("MinGRU", detail::min_gru_spec(), options_of(options), &detail::linear_uniform,
                options.parallel_scan),
      options_(options) {}

std::pair<Var, Var> MinGRU::log_coefficients(const Var& gates) const {
  const std::size_t H = options_.hidden_size;
  const Var k_z = slice(gates, 2, 0, H), k_h = slice(gates, 2, H, 2 * H);
  // log(1 - sigmoid(k)) = -softplus(k); log sigmoid(k) = log_sigmoid(k)
  return {-softplus(k_z), log_sigmoid(k_z) + log_positive_candidate(k_h)};
}

}  // namespace recur::nn
