// The CIFG LSTM's kernels, instantiated once here from its declaration.
#include "layers/zoo/cifg_lstm.hpp"

#include "autograd/cell_kernels.hpp"
#include "layers/recurrent.hpp"

namespace recur::nn {

const cell::CellSpec& detail::cifg_lstm_spec() { return cell::spec<cells::CIFGLSTM>(); }

CIFGLSTM::CIFGLSTM(const CIFGLSTMOptions& options)
    : SequenceLayer("CIFGLSTM", detail::cifg_lstm_spec(), options,
               detail::initialise_of<cells::CIFGLSTM>()) {}

}  // namespace recur::nn
