#include "task.hpp"

#include <xtensor/xview.hpp>

namespace recur::examples {

IndexTensor noise_chunk(const TaskOptions& task, std::size_t count, std::size_t batch,
                        Generator& generator) {
  IndexTensor tokens = IndexTensor::from_shape({count, batch});
  for (auto& token : tokens)
    token = static_cast<std::int64_t>(task.keys + generator.below(task.noise_tokens));
  return tokens;
}

TaskBatch make_batch(const TaskOptions& task, std::size_t gap, std::size_t batch,
                     Generator& generator) {
  TaskBatch out;
  out.labels = IndexTensor::from_shape({batch});
  out.tokens = IndexTensor::from_shape({gap + 1, batch});
  for (std::size_t b = 0; b < batch; ++b) {
    out.labels(b) = static_cast<std::int64_t>(generator.below(task.keys));
    out.tokens(0, b) = out.labels(b);
  }
  if (gap > 0)
    xt::view(out.tokens, xt::range(1, gap + 1), xt::all()) = noise_chunk(task, gap, batch, generator);
  return out;
}

IndexTensor last_tokens(const TaskOptions& task, const IndexTensor& tokens, std::size_t window) {
  const std::size_t length = tokens.shape(0), batch = tokens.shape(1);
  IndexTensor out = IndexTensor::from_shape({window, batch});
  for (std::size_t w = 0; w < window; ++w) {
    // Window slot w holds position length - window + w, or the pad token before the start.
    const long position = static_cast<long>(length) - static_cast<long>(window) + static_cast<long>(w);
    for (std::size_t b = 0; b < batch; ++b)
      out(w, b) = position < 0 ? task.pad_token() : tokens(static_cast<std::size_t>(position), b);
  }
  return out;
}

}  // namespace recur::examples
