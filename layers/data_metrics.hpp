/// @file
/// argmax over an axis, and the accuracy of predicted classes.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/tensor.hpp"

namespace recur::data {

/// The index of the largest value along `axis`, as torch.argmax(values, dim=axis): the result
/// has `values`' shape without that axis. Ties give the first index; a NaN counts as the largest
/// (torch's rule, so a diverged model's prediction is visibly odd rather than plausible).
/// @code
/// recur::IndexTensor predicted = recur::data::argmax(logits.value(), 1);  // [B, C] -> [B]
/// @endcode
/// @param values Any tensor with at least one axis.
/// @param axis The axis to reduce; negative counts from the end (-1 is the last).
/// @throws recur::ShapeError for a 0-d tensor, an axis out of range or of extent 0.
IndexTensor argmax(const Tensor& values, std::ptrdiff_t axis = -1);

/// The number of positions where `predicted` equals `labels` (same shape), skipping positions
/// whose label is `ignore_index` (a padded step, as cross-entropy's ignore_index does).
/// @throws recur::ShapeError when the shapes differ.
std::size_t num_correct(const IndexTensor& predicted, const IndexTensor& labels,
                        std::int64_t ignore_index = -100);

/// The share of positions where `predicted` equals `labels`, among those whose label is not
/// `ignore_index`: num_correct() / counted positions.
/// @code
/// double acc = recur::data::accuracy(recur::data::argmax(logits.value()), labels);
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
