/// @file
/// Embedding: a lookup table of vectors, torch.nn.Embedding.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "autograd/tape.hpp"
#include "core/tensor.hpp"
#include "layers/module.hpp"

namespace recur::nn {

/// Options of Embedding, filled with designated initialisers.
struct EmbeddingOptions {
  std::size_t num_embeddings = 0;  ///< Size of the table (the vocabulary).
  std::size_t embedding_dim = 0;   ///< Size of each vector.
  /// A row that stays zero and gets no gradient (a padding token); negative values count from
  /// the end, as in PyTorch.
  std::optional<std::int64_t> padding_idx = std::nullopt;
};

/// Rows of `weight` [num_embeddings, embedding_dim] picked by integer indices, with
/// torch.nn.Embedding's parameter name `weight`, initialised N(0, 1) from
/// recur::default_generator() (the padding row, if any, zero).
/// @code
/// recur::nn::Embedding embed({.num_embeddings = 1000, .embedding_dim = 64, .padding_idx = 0});
/// recur::Var vectors = embed(tape, tokens);   // tokens [T, B] -> [T, B, 64]
/// @endcode
class Embedding : public Module {
 public:
  /// Registers `weight`.
  /// @throws recur::ValueError for a zero size or a padding_idx outside [-num_embeddings,
  ///         num_embeddings).
  explicit Embedding(const EmbeddingOptions& options);

  /// indices: any shape -> indices' shape + [embedding_dim], recorded on `tape`.
  /// @param tape The step's tape (the indices are data, not a Var).
  /// @param indices Token ids in [0, num_embeddings), any shape.
  /// @throws recur::ValueError naming an index outside [0, num_embeddings).
  Var forward(Tape& tape, const IndexTensor& indices);
  /// forward(tape, indices).
  Var operator()(Tape& tape, const IndexTensor& indices) { return forward(tape, indices); }

  /// The table [num_embeddings, embedding_dim].
  Parameter& weight() { return *weight_; }
  /// The options, with padding_idx made non-negative.
  const EmbeddingOptions& options() const { return options_; }

 private:
  EmbeddingOptions options_;
  Parameter* weight_ = nullptr;
};

}  // namespace recur::nn
