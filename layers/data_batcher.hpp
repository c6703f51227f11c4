/// @file
/// SequenceBatcher: shuffled, padded mini-batches of token sequences, a DataLoader for them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "core/random.hpp"
#include "core/tensor.hpp"

namespace recur::data {

/// Options of SequenceBatcher.
struct BatcherOptions {
  std::size_t batch_size = 32;     ///< Sequences per batch (a pass's last may have fewer).
  bool shuffle = true;             ///< A new random order every pass (torch's DataLoader shuffle).
  bool batch_first = false;        ///< tokens [B, T] instead of [T, B].
  std::int64_t padding_value = 0;  ///< The token id of padded positions.
  std::uint64_t seed = 0;          ///< Seeds the batcher's own generator, so the order repeats.
};

/// One batch: the sequences padded to the longest, their lengths, and which they were.
struct TokenBatch {
  IndexTensor tokens;                ///< [T, B] (or [B, T]), padded on the right.
  IndexTensor lengths;               ///< [B], each sequence's length.
  IndexTensor labels;                ///< [B], the sequences' labels; [0] without labels.
  std::vector<std::size_t> indices;  ///< [B], each sequence's position in the data set.
};

/// Cuts a data set of token sequences (each [T_i], any lengths) into padded mini-batches, in a
/// new shuffled order every pass, dropping nothing: a pass visits every sequence exactly once,
/// in ceil(N / batch_size) batches. The order comes from the batcher's own recur::Generator,
/// seeded by the options, so a run repeats exactly (and generator() can be checkpointed).
/// @code
/// recur::data::SequenceBatcher batches(sentences, {.batch_size = 32, .seed = 1}, labels);
/// for (int epoch = 0; epoch < 10; ++epoch)
///   while (auto batch = batches.next()) {   // std::nullopt ends the pass
///     tape.clear();
///     auto output = lstm(embed(tape, batch->tokens), batch->lengths).output;
///     ...
///   }
/// @endcode
class SequenceBatcher {
 public:
  /// A batcher over `sequences`.
  /// @throws recur::ValueError for no sequence or a batch size of 0.
  /// @throws recur::ShapeError for a sequence that is not 1-d.
  explicit SequenceBatcher(std::vector<IndexTensor> sequences,
                           const BatcherOptions& options = {});
  /// A batcher over `sequences` with one label each (labels [N]), batched alongside. (The
  /// labels come last so that `{.batch_size = 8}` cannot be mistaken for them.)
  /// @throws recur::ShapeError when labels is not [N]; otherwise as above.
  SequenceBatcher(std::vector<IndexTensor> sequences, const BatcherOptions& options,
                  IndexTensor labels);

  /// The next batch of the current pass, or std::nullopt when the pass is over; the call after
  /// that starts the next pass (in a new order when shuffling).
  std::optional<TokenBatch> next();

  /// The number of sequences, N.
  std::size_t size() const { return sequences_.size(); }
  /// Batches per pass: ceil(N / batch_size).
  std::size_t num_batches() const;
  /// The options.
  const BatcherOptions& options() const { return options_; }
  /// The generator that shuffles (its state can be saved in a checkpoint).
  Generator& generator() { return generator_; }

 private:
  SequenceBatcher(std::vector<IndexTensor> sequences, std::optional<IndexTensor> labels,
                  const BatcherOptions& options);
  void start_pass();

  std::vector<IndexTensor> sequences_;
  std::optional<IndexTensor> labels_;
  BatcherOptions options_;
  Generator generator_;
  std::vector<std::size_t> order_;
  std::size_t position_ = 0;
  bool in_pass_ = false;
};

}  // namespace recur::data
