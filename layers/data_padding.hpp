/// @file
/// pad_sequence: variable-length sequences into one padded batch plus their lengths.
#pragma once

#include <cstdint>
#include <vector>

#include "core/tensor.hpp"

/// Data helpers: padding, batching and scoring sequences (torch.nn.utils.rnn, a DataLoader's
/// batching, argmax and accuracy), so that a training program does not write its own.
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

}  // namespace recur::data
