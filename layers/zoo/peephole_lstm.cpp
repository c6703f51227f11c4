// The peephole LSTM's kernels, instantiated once here from its declaration.
#include "layers/zoo/peephole_lstm.hpp"

#include "autograd/cell_kernels.hpp"
#include "layers/recurrent.hpp"

namespace recur::nn {

const cell::CellSpec& detail::peephole_lstm_spec() { return cell::spec<cells::PeepholeLSTM>(); }

PeepholeLSTM::PeepholeLSTM(const PeepholeLSTMOptions& options)
    : SequenceLayer("PeepholeLSTM", detail::peephole_lstm_spec(), options,
               detail::initialise_of<cells::PeepholeLSTM>()) {}

}  // namespace recur::nn
