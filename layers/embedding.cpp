#include "layers/embedding.hpp"

#include <algorithm>
#include <string>

#include "autograd/ops/nn_ops.hpp"
#include "core/error.hpp"
#include "core/random.hpp"

namespace recur::nn {

Embedding::Embedding(const EmbeddingOptions& options) : options_(options) {
  const auto num = static_cast<std::int64_t>(options.num_embeddings);
  if (options.num_embeddings == 0 || options.embedding_dim == 0)
    throw ValueError("Embedding: num_embeddings and embedding_dim must be positive, got " +
                     std::to_string(options.num_embeddings) + " and " +
                     std::to_string(options.embedding_dim));
  if (options.padding_idx) {
    const std::int64_t padding = *options.padding_idx;
    if (padding < -num || padding >= num)
      throw ValueError("Embedding: padding_idx " + std::to_string(padding) +
                       " is outside [-" + std::to_string(num) + ", " + std::to_string(num) +
                       ") for a table of " + std::to_string(num) + " rows");
    options_.padding_idx = padding < 0 ? padding + num : padding;
  }
  Tensor table = default_generator().normal({options.num_embeddings, options.embedding_dim}, 0.0f, 1.0f);
  if (options_.padding_idx) {
    float* row = table.data() + *options_.padding_idx * options.embedding_dim;
    std::fill(row, row + options.embedding_dim, 0.0f);
  }
  weight_ = &register_parameter("weight", std::move(table));
}

Var Embedding::forward(Tape& tape, const IndexTensor& indices) {
  return embedding(tape.parameter(*weight_), indices, options_.padding_idx.value_or(-1));
}

}  // namespace recur::nn
