#include "layers/data_batcher.hpp"

#include <algorithm>
#include <numeric>
#include <string>
#include <utility>

#include "core/error.hpp"
#include "core/shape.hpp"
#include "layers/data_padding.hpp"

namespace recur::data {

SequenceBatcher::SequenceBatcher(std::vector<IndexTensor> sequences, const BatcherOptions& options)
    : SequenceBatcher(std::move(sequences), std::nullopt, options) {}

SequenceBatcher::SequenceBatcher(std::vector<IndexTensor> sequences,
                                 const BatcherOptions& options, IndexTensor labels)
    : SequenceBatcher(std::move(sequences), std::optional<IndexTensor>(std::move(labels)),
                      options) {}

SequenceBatcher::SequenceBatcher(std::vector<IndexTensor> sequences,
                                 std::optional<IndexTensor> labels, const BatcherOptions& options)
    : sequences_(std::move(sequences)),
      labels_(std::move(labels)),
      options_(options),
      generator_(options.seed) {
  if (sequences_.empty()) throw ValueError("SequenceBatcher: the data set has no sequence");
  if (options_.batch_size == 0) throw ValueError("SequenceBatcher: batch_size must be positive");
  for (std::size_t i = 0; i < sequences_.size(); ++i) {
    const auto& shape = sequences_[i].shape();
    if (shape.size() != 1)
      throw ShapeError("SequenceBatcher: sequence " + std::to_string(i) + " has shape " +
                       shape_str(Shape(shape.begin(), shape.end())) +
                       "; each must be a 1-d [T_i] of token ids");
  }
  if (labels_ && (labels_->dimension() != 1 || labels_->size() != sequences_.size()))
    throw ShapeError("SequenceBatcher: labels " +
                     shape_str(Shape(labels_->shape().begin(), labels_->shape().end())) +
                     " must be [" + std::to_string(sequences_.size()) + "], one per sequence");
  order_.resize(sequences_.size());
}

std::size_t SequenceBatcher::num_batches() const {
  return (sequences_.size() + options_.batch_size - 1) / options_.batch_size;
}

void SequenceBatcher::start_pass() {
  std::iota(order_.begin(), order_.end(), std::size_t{0});
  if (options_.shuffle)  // Fisher-Yates, from the last position down
    for (std::size_t i = order_.size() - 1; i > 0; --i)
      std::swap(order_[i], order_[generator_.below(i + 1)]);
  position_ = 0;
  in_pass_ = true;
}

std::optional<TokenBatch> SequenceBatcher::next() {
  if (!in_pass_) start_pass();
  if (position_ == order_.size()) {
    in_pass_ = false;
    return std::nullopt;
  }
  const std::size_t count = std::min(options_.batch_size, order_.size() - position_);
  TokenBatch batch;
  batch.indices.assign(order_.begin() + static_cast<std::ptrdiff_t>(position_),
                       order_.begin() + static_cast<std::ptrdiff_t>(position_ + count));
  position_ += count;
  std::vector<IndexTensor> chosen;
  chosen.reserve(count);
  for (std::size_t index : batch.indices) chosen.push_back(sequences_[index]);
  Padded<IndexTensor> padded =
      pad_sequence(chosen, {.batch_first = options_.batch_first,
                            .padding_value = static_cast<double>(options_.padding_value)});
  batch.tokens = std::move(padded.padded);
  batch.lengths = std::move(padded.lengths);
  batch.labels = IndexTensor::from_shape({labels_ ? count : 0});
  if (labels_)
    for (std::size_t b = 0; b < count; ++b) batch.labels(b) = (*labels_)(batch.indices[b]);
  return batch;
}

}  // namespace recur::data
