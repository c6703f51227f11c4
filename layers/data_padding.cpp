#include "layers/data_padding.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "core/error.hpp"
#include "core/shape.hpp"

namespace recur::data {
namespace {

template <class T>
Shape shape_of_any(const T& tensor) {
  return Shape(tensor.shape().begin(), tensor.shape().end());
}

// sequences [T_i, F...] -> [T, B, F...] (or [B, T, F...]); F... the same for every sequence.
template <class T>
Padded<T> pad(const std::vector<T>& sequences, const PadOptions& options,
              typename T::value_type padding) {
  if (sequences.empty())
    throw ValueError("pad_sequence: received an empty list of sequences; pass at least one");
  const Shape first = shape_of_any(sequences.front());
  if (first.empty())
    throw ShapeError("pad_sequence: sequence 0 is a 0-d tensor; each must be [T_i, ...]");
  const Shape trailing(first.begin() + 1, first.end());
  const std::string expected =
      trailing.empty() ? "[T_i]" : "[T_i, " + shape_str(trailing).substr(1);  // "[T_i, 3, 4]"
  std::size_t longest = 0;
  for (std::size_t b = 0; b < sequences.size(); ++b) {
    const Shape shape = shape_of_any(sequences[b]);
    if (shape.empty() ||
        !std::equal(shape.begin() + 1, shape.end(), trailing.begin(), trailing.end()))
      throw ShapeError("pad_sequence: sequence " + std::to_string(b) + " has shape " +
                       shape_str(shape) + " but sequence 0 has " + shape_str(first) +
                       "; all must be " + expected);
    longest = std::max(longest, shape[0]);
  }
  const std::size_t batch = sequences.size(), step_size = shape_numel(trailing);
  Shape out_shape{options.batch_first ? batch : longest, options.batch_first ? longest : batch};
  out_shape.insert(out_shape.end(), trailing.begin(), trailing.end());
  Padded<T> out{T::from_shape(out_shape), IndexTensor::from_shape({batch})};
  std::fill(out.padded.begin(), out.padded.end(), padding);
  for (std::size_t b = 0; b < batch; ++b) {
    const T& sequence = sequences[b];
    const std::size_t length = sequence.shape()[0];
    out.lengths(b) = static_cast<std::int64_t>(length);
    const std::size_t shift = options.side == PaddingSide::left ? longest - length : 0;
    for (std::size_t t = 0; t < length; ++t) {
      const std::size_t slot = t + shift;
      const std::size_t row = options.batch_first ? b * longest + slot : slot * batch + b;
      std::copy_n(sequence.data() + t * step_size, step_size, out.padded.data() + row * step_size);
    }
  }
  return out;
}

}  // namespace

Padded<Tensor> pad_sequence(const std::vector<Tensor>& sequences, const PadOptions& options) {
  return pad(sequences, options, static_cast<float>(options.padding_value));
}

Padded<IndexTensor> pad_sequence(const std::vector<IndexTensor>& sequences,
                                 const PadOptions& options) {
  if (options.padding_value != std::trunc(options.padding_value))
    throw ValueError("pad_sequence: padding_value " + std::to_string(options.padding_value) +
                     " is not an integer, so it cannot pad token ids");
  return pad(sequences, options, static_cast<std::int64_t>(options.padding_value));
}

xt::xarray<bool> padding_mask(const IndexTensor& lengths, std::size_t max_length) {
  if (lengths.dimension() != 1)
    throw ShapeError("padding_mask: lengths " + shape_str(shape_of_any(lengths)) +
                     " must be 1-d [B]");
  const std::size_t batch = lengths.size();
  xt::xarray<bool> mask = xt::xarray<bool>::from_shape({batch, max_length});
  for (std::size_t b = 0; b < batch; ++b) {
    const std::int64_t length = lengths(b);
    if (length < 0 || static_cast<std::size_t>(length) > max_length)
      throw ValueError("padding_mask: length " + std::to_string(length) + " of sequence " +
                       std::to_string(b) + " is outside [0, " + std::to_string(max_length) + "]");
    for (std::size_t t = 0; t < max_length; ++t)
      mask(b, t) = t >= static_cast<std::size_t>(length);
  }
  return mask;
}

}  // namespace recur::data
