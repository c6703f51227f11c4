// The memory-horizon task: remember the first token across a gap of irrelevant ones.
//
//   position:  0     1 .. G
//   token:     key   noise noise ... noise        label: key
//
// Keys are tokens [0, K), noise tokens [K, K + N), and token K + N pads the baseline's window
// when a sequence is shorter than it. Chance is 1/K.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/random.hpp"
#include "core/tensor.hpp"

namespace recur::examples {

/// The alphabet of the task.
struct TaskOptions {
  std::size_t keys = 8;          ///< K classes; the label is the first token.
  std::size_t noise_tokens = 8;  ///< N irrelevant tokens filling the gap.

  std::size_t vocabulary() const { return keys + noise_tokens + 1; }
  std::int64_t pad_token() const { return static_cast<std::int64_t>(keys + noise_tokens); }
};

/// A batch of sequences, time-major as the recurrent layers take them.
struct TaskBatch {
  IndexTensor tokens;  ///< [G + 1, B]
  IndexTensor labels;  ///< [B]
};

/// B sequences with gap G (G + 1 tokens each), drawn from `generator`.
TaskBatch make_batch(const TaskOptions& task, std::size_t gap, std::size_t batch,
                     Generator& generator);

/// The last `window` tokens of every sequence, left-padded with the pad token: [window, B].
IndexTensor last_tokens(const TaskOptions& task, const IndexTensor& tokens, std::size_t window);

/// `count` noise tokens for each of `batch` sequences, [count, B]: a chunk of a long stream.
IndexTensor noise_chunk(const TaskOptions& task, std::size_t count, std::size_t batch,
                        Generator& generator);

}  // namespace recur::examples
