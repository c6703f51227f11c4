// IndRNN: the kernels of both activations, the paper's initialisation of u and its bound.
#include "layers/zoo/indrnn.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "autograd/cell_kernels.hpp"
#include "core/error.hpp"
#include "core/random.hpp"

namespace recur::nn {
namespace {

RecurrentOptions options_of(const IndRNNOptions& o) {
  return {.input_size = o.input_size, .hidden_size = o.hidden_size, .num_layers = o.num_layers,
          .bias = o.bias, .batch_first = o.batch_first, .dropout = o.dropout,
          .bidirectional = o.bidirectional};
}

const cell::CellSpec& spec_of(const IndRNNOptions& o) {
  if (!(o.recurrent_init_min <= o.recurrent_init_max) || !std::isfinite(o.recurrent_init_min) ||
      !std::isfinite(o.recurrent_init_max))
    throw ValueError("IndRNN: recurrent_init_min (" + std::to_string(o.recurrent_init_min) +
                     ") must be finite and at most recurrent_init_max (" +
                     std::to_string(o.recurrent_init_max) + ")");
  if (!(o.recurrent_max_abs >= 0.0f) || !std::isfinite(o.recurrent_max_abs))
    throw ValueError("IndRNN: recurrent_max_abs must be 0 (no bound) or positive, got " +
                     std::to_string(o.recurrent_max_abs));
  return o.nonlinearity == Nonlinearity::relu ? detail::indrnn_relu_spec()
                                              : detail::indrnn_tanh_spec();
}

}  // namespace

const cell::CellSpec& detail::indrnn_relu_spec() { return cell::spec<cells::IndRNNReLU>(); }
const cell::CellSpec& detail::indrnn_tanh_spec() { return cell::spec<cells::IndRNNTanh>(); }

IndRNN::IndRNN(const IndRNNOptions& options)
    : SequenceLayer("IndRNN", spec_of(options), options_of(options), nullptr), options_(options) {
  const std::size_t directions = options.bidirectional ? 2 : 1;
  for (std::size_t layer = 0; layer < options.num_layers; ++layer)
    for (std::size_t direction = 0; direction < directions; ++direction) {
      Parameter& u = *parameter_of("weight_hh", layer, direction);
      u.value = default_generator().uniform(Shape{options.hidden_size},
                                            options.recurrent_init_min,
                                            options.recurrent_init_max);
      u.bump_version();
    }
  clamp_recurrent_weights();
}

void IndRNN::clamp_recurrent_weights() {
  const float bound = options_.recurrent_max_abs;
  if (bound == 0.0f) return;
  const std::size_t directions = options_.bidirectional ? 2 : 1;
  for (std::size_t layer = 0; layer < options_.num_layers; ++layer)
    for (std::size_t direction = 0; direction < directions; ++direction) {
      Parameter& u = *parameter_of("weight_hh", layer, direction);
      for (float& value : u.value) value = std::clamp(value, -bound, bound);
      u.bump_version();
    }
}

}  // namespace recur::nn
