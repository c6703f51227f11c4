// sLSTM's kernels, instantiated once here from its declaration.
#include "layers/zoo/slstm.hpp"

#include "autograd/cell_kernels.hpp"

namespace recur::nn {
namespace {

RecurrentOptions options_of(const SLSTMOptions& o) {
  return {.input_size = o.input_size, .hidden_size = o.hidden_size, .num_layers = o.num_layers,
          .bias = o.bias, .batch_first = o.batch_first, .dropout = o.dropout,
          .bidirectional = o.bidirectional, .recurrent_dropout = o.recurrent_dropout};
}

}  // namespace

const cell::CellSpec& detail::slstm_spec() { return cell::spec<cells::SLSTM>(); }

SLSTM::SLSTM(const SLSTMOptions& options)
    : SequenceLayer("SLSTM", detail::slstm_spec(), options_of(options), nullptr), options_(options) {}

}  // namespace recur::nn
