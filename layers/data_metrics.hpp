/// @file
/// The accuracy of predicted classes (recur::argmax() in reductions.hpp picks them).
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/tensor.hpp"

namespace recur::data {

/// The number of positions where `predicted` equals `labels` (same shape), skipping positions
/// whose label is `ignore_index` (a padded step, as cross-entropy's ignore_index does).
/// @throws recur::ShapeError when the shapes differ.
std::size_t num_correct(const IndexTensor& predicted, const IndexTensor& labels,
                        std::int64_t ignore_index = -100);

/// The share of positions where `predicted` equals `labels`, among those whose label is not
/// `ignore_index`: num_correct() / counted positions.
/// @code
/// double acc = recur::data::accuracy(recur::argmax(logits.value(), -1), labels);
/// @endcode
/// @throws recur::ShapeError when the shapes differ.
/// @throws recur::ValueError when no position is counted (an accuracy of nothing).
double accuracy(const IndexTensor& predicted, const IndexTensor& labels,
                std::int64_t ignore_index = -100);

/// accuracy() of the classes `logits` [..., C] predict (argmax over the last axis) against
/// `labels` [...].
/// @throws recur::ShapeError when logits' leading axes are not labels' shape.
/// @throws recur::ValueError when no position is counted.
double accuracy(const Tensor& logits, const IndexTensor& labels, std::int64_t ignore_index = -100);

}  // namespace recur::data
