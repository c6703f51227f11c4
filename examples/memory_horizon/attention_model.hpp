// The attention model of the memory-horizon task: a small causal transformer (GPT-2's pre-norm
// blocks) built from recur's public layers, with the same classification head on the last
// position as the recurrent models. It reads the whole sequence at once, so it has no horizon
// of its own; what it has instead is a cost that grows with T^2 (every head of every block keeps
// a [T, T] score matrix for the backward pass), which is why it refuses long sequences.
#pragma once

#include <cstddef>

#include "layers/embedding.hpp"
#include "layers/layer_norm.hpp"
#include "layers/linear.hpp"
#include "layers/module_list.hpp"
#include "layers/multihead_attention.hpp"
#include "layers/sequential.hpp"
#include "models.hpp"

namespace recur::examples {

/// Sizes of the attention model beyond ModelOptions; its width is ModelOptions::hidden, the
/// recurrent models' state width, so "same width" means the same residual stream.
struct AttentionOptions {
  std::size_t blocks = 2;  ///< Transformer blocks.
  std::size_t heads = 4;   ///< Attention heads per block (width 32: 8 features each).
  /// Rows of the learned position table: the longest sequence the model reads. 513 is the key
  /// and a gap of 512; a training step at T = 512 takes 121 MiB at batch 2 (sequence_cost), so
  /// about 1.9 GiB at the sweep's batch of 32, most of it the [T, T] scores.
  std::size_t max_positions = 513;
  /// Under no_grad, batches are read in slices of at most this many sequence x query x key
  /// scores (each head has its own, so 4 floats per score): 31 sequences at T = 130, 2 at
  /// T = 513, so that a test holds no more than a training step of 32 sequences at T = 130
  /// (266 MiB for a whole run at gap 128, against 515 MiB with slices of 2^21).
  std::size_t eval_scores_per_slice = std::size_t{1} << 19;
};

/// One pre-norm block, as GPT-2: x + attention(norm1(x)), then x + mlp(norm2(x)), the
/// attention causal (position t sees positions 0..t) and the MLP width -> 4 width -> width.
class AttentionBlock : public nn::Module {
 public:
  /// A block of `width` features in `heads` heads.
  AttentionBlock(std::size_t width, std::size_t heads);
  /// x: [T, B, width] -> [T, B, width].
  Var forward(const Var& x);

 private:
  nn::LayerNorm& norm1_;
  nn::MultiheadAttention& attention_;
  nn::LayerNorm& norm2_;
  nn::Sequential& mlp_;
};

/// Token embedding plus a learned position embedding, `blocks` causal transformer blocks, a
/// final layer norm, and a linear head on the last position: [T, B] tokens -> [B, classes].
/// Parameter names follow PyTorch's attributes: `embedding.weight`, `position.weight`,
/// `blocks.0.attention.in_proj_weight`, ..., `norm.weight`, `head.bias`.
class AttentionClassifier : public SequenceClassifier {
 public:
  /// Built from default_generator() in the order embedding, position, blocks, norm, head.
  explicit AttentionClassifier(const ModelOptions& options,
                               const AttentionOptions& attention = {});
  /// The logits [B, classes] at the last position of `tokens` [T, B]. Under no_grad the batch
  /// is read in slices on a scratch tape, so that evaluation on 256 long sequences keeps the
  /// scores of one slice, not of all of them.
  /// @throws recur::ShapeError when T exceeds max_positions.
  Var logits(Tape& tape, const IndexTensor& tokens) override;
  /// Adds the position embeddings to `embedded` [T, B, width] and runs the blocks and the head.
  /// @throws recur::ShapeError when T exceeds max_positions or the width is not the model's.
  Var logits_from_embeddings(const Var& embedded) override;
  /// The token embeddings of `tokens` [T, B]: [T, B, width] (positions are added later).
  Var embed(Tape& tape, const IndexTensor& tokens) override;
  /// The options it was built with.
  const AttentionOptions& attention_options() const { return attention_; }

 private:
  ModelOptions options_;
  AttentionOptions attention_;
  nn::Embedding& embedding_;
  nn::Embedding& position_;
  nn::ModuleList<AttentionBlock>& blocks_;
  nn::LayerNorm& norm_;
  nn::Linear& head_;
};

/// The longest gap a model of `kind` is trained and tested at in the sweep: the attention
/// model's max_positions - 1 (longer gaps are skipped, and said so), no limit for the others.
std::size_t max_gap(ModelKind kind);

}  // namespace recur::examples
