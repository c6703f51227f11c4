#include "layers/data_metrics.hpp"

#include <algorithm>
#include <string>

#include "autograd/ops/reductions.hpp"
#include "core/error.hpp"
#include "core/shape.hpp"

namespace recur::data {
namespace {

template <class T>
Shape shape_of_any(const T& tensor) {
  return Shape(tensor.shape().begin(), tensor.shape().end());
}

}  // namespace

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
  return accuracy(recur::argmax(logits, -1), labels, ignore_index);
}

}  // namespace recur::data
