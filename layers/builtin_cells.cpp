// The built-in cells' kernels, instantiated once here from their declarations.
#include "layers/builtin_cells.hpp"

#include "autograd/cell_kernels.hpp"

namespace recur::nn::detail {

const cell::CellSpec& rnn_tanh_spec() { return cell::spec<cells::RNNTanh>(); }
const cell::CellSpec& rnn_relu_spec() { return cell::spec<cells::RNNReLU>(); }
const cell::CellSpec& lstm_spec() { return cell::spec<cells::LSTM>(); }
const cell::CellSpec& gru_spec() { return cell::spec<cells::GRU>(); }

}  // namespace recur::nn::detail
