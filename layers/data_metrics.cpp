#include "layers/data_metrics.hpp"

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

}  // namespace

// values [outer..., extent, inner...] -> [outer..., inner...]
IndexTensor argmax(const Tensor& values, std::ptrdiff_t axis) {
  const Shape shape = shape_of_any(values);
  const auto rank = static_cast<std::ptrdiff_t>(shape.size());
  if (rank == 0) throw ShapeError("argmax: the input is a 0-d tensor; it needs an axis to reduce");
  if (axis < -rank || axis >= rank)
    throw ShapeError("argmax: axis " + std::to_string(axis) + " is out of range for " +
                     shape_str(shape) + " (expected -" + std::to_string(rank) + " to " +
                     std::to_string(rank - 1) + ")");
  const auto along = static_cast<std::size_t>(axis < 0 ? axis + rank : axis);
  const std::size_t extent = shape[along];
  if (extent == 0)
    throw ShapeError("argmax: axis " + std::to_string(axis) + " of " + shape_str(shape) +
                     " is empty, so it has no largest element");
  std::size_t outer = 1, inner = 1;
  for (std::size_t i = 0; i < along; ++i) outer *= shape[i];
  for (std::size_t i = along + 1; i < shape.size(); ++i) inner *= shape[i];
  Shape out_shape = shape;
  out_shape.erase(out_shape.begin() + static_cast<std::ptrdiff_t>(along));
  IndexTensor out = IndexTensor::from_shape(out_shape);
  const float* data = values.data();
  for (std::size_t o = 0; o < outer; ++o)
    for (std::size_t i = 0; i < inner; ++i) {
      const float* first = data + o * extent * inner + i;
      std::size_t best = 0;
      for (std::size_t k = 1; k < extent && !std::isnan(first[best * inner]); ++k) {
        const float candidate = first[k * inner];
        if (candidate > first[best * inner] || std::isnan(candidate)) best = k;
      }
      out.data()[o * inner + i] = static_cast<std::int64_t>(best);
    }
  return out;
}

std::size_t num_correct(const IndexTensor& predicted, const IndexTensor& labels,
                        std::int64_t ignore_index) {
  if (predicted.shape() != labels.shape())
    throw ShapeError("num_correct: predictions " + shape_str(shape_of_any(predicted)) +
                     " and labels " + shape_str(shape_of_any(labels)) + " differ in shape");
  std::size_t correct = 0;
  for (std::size_t i = 0; i < labels.size(); ++i)
    correct += labels.data()[i] != ignore_index && predicted.data()[i] == labels.data()[i];
  return correct;
}

double accuracy(const IndexTensor& predicted, const IndexTensor& labels,
                std::int64_t ignore_index) {
  if (predicted.shape() != labels.shape())
    throw ShapeError("accuracy: predictions " + shape_str(shape_of_any(predicted)) +
                     " and labels " + shape_str(shape_of_any(labels)) + " differ in shape");
  std::size_t counted = 0;
  for (std::int64_t label : labels) counted += label != ignore_index;
  if (counted == 0)
    throw ValueError("accuracy: no position to score (" + std::to_string(labels.size()) +
                     " labels, all equal to ignore_index " + std::to_string(ignore_index) + ")");
  return static_cast<double>(num_correct(predicted, labels, ignore_index)) /
         static_cast<double>(counted);
}

double accuracy(const Tensor& logits, const IndexTensor& labels, std::int64_t ignore_index) {
  const Shape shape = shape_of_any(logits), label_shape = shape_of_any(labels);
  if (shape.empty() || !std::equal(shape.begin(), shape.end() - 1, label_shape.begin(),
                                   label_shape.end()))
    throw ShapeError("accuracy: logits " + shape_str(shape) + " do not fit labels " +
                     shape_str(label_shape) + " (expected logits [..., C] for labels [...])");
  return accuracy(argmax(logits, -1), labels, ignore_index);
}

}  // namespace recur::data
