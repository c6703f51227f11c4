// The adding problem (Hochreiter and Schmidhuber 1997): the loss sits at the last step and
// depends on two inputs far before it, so the gradient has to travel back through time.
#pragma once

#include <cstddef>

#include "core/random.hpp"
#include "core/tensor.hpp"

namespace vanishing {

/// One batch: x [T, B, 2] (a value uniform in [0, 1) and a marker 0/1), y [B, 1] = the sum of
/// the two marked values. The first marker is in the first tenth of the sequence, the second
/// in the second half, so solving the task needs memory over at least T/2 steps.
struct AddingBatch {
  recur::Tensor x;  ///< [T, B, 2]
  recur::Tensor y;  ///< [B, 1]
};

/// Draws a batch of `batch` sequences of `length` steps from `generator`.
inline AddingBatch adding_batch(std::size_t length, std::size_t batch, recur::Generator& generator) {
  AddingBatch out{recur::zeros({length, batch, 2}), recur::zeros({batch, 1})};
  const std::size_t early = length / 10 > 0 ? length / 10 : 1;
  for (std::size_t b = 0; b < batch; ++b) {
    for (std::size_t t = 0; t < length; ++t) out.x(t, b, 0) = generator.next_float();
    const std::size_t first = generator.below(early);
    const std::size_t second = length / 2 + generator.below(length - length / 2);
    out.x(first, b, 1) = 1.0f;
    out.x(second, b, 1) = 1.0f;
    out.y(b, 0) = out.x(first, b, 0) + out.x(second, b, 0);
  }
  return out;
}

}  // namespace vanishing
