// coRNN: its kernels, the paper's initialisation and its constants.
#include "layers/zoo/cornn.hpp"

#include <cmath>
#include <string>

#include "autograd/cell_kernels.hpp"
#include "core/error.hpp"

namespace recur::nn {
namespace {

RecurrentOptions options_of(const CoRNNOptions& o) {
  if (!(o.dt > 0.0f) || !(o.gamma >= 0.0f) || !(o.epsilon >= 0.0f) || !std::isfinite(o.dt) ||
      !std::isfinite(o.gamma) || !std::isfinite(o.epsilon))
    throw ValueError("CoRNN: needs dt > 0, gamma >= 0 and epsilon >= 0, got dt " +
                     std::to_string(o.dt) + ", gamma " + std::to_string(o.gamma) +
                     ", epsilon " + std::to_string(o.epsilon));
  return {.input_size = o.input_size, .hidden_size = o.hidden_size, .num_layers = o.num_layers,
          .bias = o.bias, .batch_first = o.batch_first, .dropout = o.dropout,
          .bidirectional = o.bidirectional, .recurrent_dropout = o.recurrent_dropout};
}

// The paper's code maps [u, z, y] with one nn.Linear: every weight and its one bias uniform in
// +-1/sqrt(I + 2H); bias_hh, redundant with bias_ih, starts at zero.
void linear_of_concatenation(CellParameters& p) {
  const float bound =
      1.0f / std::sqrt(static_cast<float>(p.input_size + 2 * p.hidden_size));
  for (Tensor* t : {p.weight_ih, p.weight_hh, p.bias_ih})
    if (t) *t = p.generator->uniform(Shape(t->shape().begin(), t->shape().end()), -bound, bound);
  if (p.bias_hh) p.bias_hh->fill(0.0f);
}

}  // namespace

const cell::CellSpec& detail::cornn_spec() { return cell::spec<cells::CoRNN>(); }

CoRNN::CoRNN(const CoRNNOptions& options)
    : SequenceLayer("CoRNN", detail::cornn_spec(), options_of(options), &linear_of_concatenation),
      options_(options) {
  const std::size_t directions = options.bidirectional ? 2 : 1;
  for (std::size_t layer = 0; layer < options.num_layers; ++layer)
    for (std::size_t direction = 0; direction < directions; ++direction)
      for (const auto& [name, value] : {std::pair{"dt", options.dt},
                                        std::pair{"gamma", options.gamma},
                                        std::pair{"epsilon", options.epsilon}}) {
        Parameter& constant = *parameter_of(name, layer, direction);
        constant.value.fill(value);
        constant.requires_grad = false;
        constant.bump_version();
      }
}

}  // namespace recur::nn
