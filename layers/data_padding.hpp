/// @file
/// pad_sequence: variable-length sequences into one padded batch plus their lengths.
///
/// recur::data holds the data helpers: padding, batching and scoring sequences
/// (torch.nn.utils.rnn, a DataLoader's batching, accuracy), so that a training program does not
/// write its own. @see @ref models_data "Data: padding, batching and scoring".
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include <xtensor/xarray.hpp>

#include "core/tensor.hpp"

namespace recur::data {

/// Which end of a shorter sequence the padding goes to.
enum class PaddingSide {
  right,  ///< after the sequence, as the recurrent layers' `lengths` expect (torch's default)
  left,   ///< before it: every sequence ends at the last step
};

/// Options of pad_sequence(), torch.nn.utils.rnn.pad_sequence's arguments.
struct PadOptions {
  bool batch_first = false;              ///< [B, T, ...] instead of [T, B, ...].
  double padding_value = 0.0;            ///< The value of the padded positions.
  PaddingSide side = PaddingSide::right; ///< Where the padding goes.
};

/// A padded batch of sequences and the length of each.
template <class T>
struct Padded {
  T padded;              ///< [T, B, ...], or [B, T, ...] with batch_first; T the longest length.
  IndexTensor lengths;   ///< [B], each sequence's own length: the `lengths` of nn::LSTM & co.
};

/// Stacks sequences of shapes [T_i, ...] (the same trailing axes) into one [T, B, ...] tensor,
/// T = max T_i, the rest filled with `padding_value`, as torch.nn.utils.rnn.pad_sequence does;
/// also returns the lengths T_i.
/// @code
/// // Three sentences of 5, 2 and 4 tokens -> tokens [5, 3] and lengths {5, 2, 4}.
/// auto [tokens, lengths] = recur::data::pad_sequence(sentences);
/// auto [output, state] = lstm(embed(tape, tokens), lengths);
/// @endcode
/// @param sequences The sequences, each [T_i, ...], T_i >= 0.
/// @param options Layout, padding value and side.
/// @throws recur::ValueError for an empty list.
/// @throws recur::ShapeError for a 0-d tensor, or trailing axes that differ between sequences.
Padded<Tensor> pad_sequence(const std::vector<Tensor>& sequences, const PadOptions& options = {});

/// pad_sequence() for sequences of token ids ([T_i] or [T_i, ...] integers).
/// @throws recur::ValueError for an empty list, or a padding_value that is not an integer.
/// @throws recur::ShapeError as for float sequences.
Padded<IndexTensor> pad_sequence(const std::vector<IndexTensor>& sequences,
                                 const PadOptions& options = {});

/// [B, T] booleans, true at the padded positions of sequences of these `lengths` (padding on the
/// right): the `key_padding_mask` of nn::MultiheadAttention for a padded batch.
/// @code
/// auto mask = recur::data::padding_mask(batch.lengths, batch.tokens.shape(0));
/// auto [y, weights] = attention(x, x, x, {.key_padding_mask = mask});
/// @endcode
/// @param lengths [B], each at most max_length. @param max_length T.
/// @throws recur::ShapeError when lengths is not 1-d.
/// @throws recur::ValueError for a length below 0 or above max_length.
xt::xarray<bool> padding_mask(const IndexTensor& lengths, std::size_t max_length);

}  // namespace recur::data
