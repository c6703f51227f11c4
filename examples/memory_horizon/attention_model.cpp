#include "attention_model.hpp"

#include <algorithm>
#include <limits>
#include <string>

#include <xtensor/xview.hpp>

#include "autograd/no_grad.hpp"
#include "autograd/ops/elementwise.hpp"
#include "autograd/ops/shape_ops.hpp"
#include "core/error.hpp"
#include "layers/activation.hpp"
#include "layers/init.hpp"

namespace recur::examples {
namespace {

// `what` of shape `shape` (the op's input, named in the message) holds `length` positions.
void check_length(std::size_t length, const std::string& what, const std::string& shape,
                  const AttentionOptions& options) {
  if (length <= options.max_positions) return;
  throw ShapeError("AttentionClassifier: " + what + " " + shape +
                   " hold " + std::to_string(length) + " positions, more than max_positions = " +
                   std::to_string(options.max_positions) +
                   " (the position table's rows; attention's memory grows with T^2, so build "
                   "the model with a larger max_positions only if the scores fit)");
}

}  // namespace

AttentionBlock::AttentionBlock(std::size_t width, std::size_t heads)
    : norm1_(register_module("norm1", nn::LayerNorm({.normalized_shape = {width}}))),
      attention_(register_module(
          "attention", nn::MultiheadAttention({.embed_dim = width, .num_heads = heads}))),
      norm2_(register_module("norm2", nn::LayerNorm({.normalized_shape = {width}}))),
      mlp_(register_module("mlp", nn::Sequential())) {
  mlp_.push_back(nn::Linear({.in_features = width, .out_features = 4 * width}));
  mlp_.push_back(nn::GELU());
  mlp_.push_back(nn::Linear({.in_features = 4 * width, .out_features = width}));
}

//! [block]
// x: [T, B, E] -> [T, B, E]
Var AttentionBlock::forward(const Var& x) {
  const Var h = norm1_(x);
  const Var attended = attention_(h, h, h, {.causal = true, .need_weights = false}).output;
  const Var y = add(x, attended);
  return add(y, mlp_(norm2_(y)));
}
//! [block]

AttentionClassifier::AttentionClassifier(const ModelOptions& options,
                                         const AttentionOptions& attention)
    : options_(options),
      attention_(attention),
      embedding_(register_module(
          "embedding",
          nn::Embedding({.num_embeddings = options.vocabulary, .embedding_dim = options.hidden}))),
      position_(register_module(
          "position", nn::Embedding({.num_embeddings = attention.max_positions,
                                     .embedding_dim = options.hidden}))),
      blocks_(register_module("blocks", nn::ModuleList<AttentionBlock>())),
      norm_(register_module("norm", nn::LayerNorm({.normalized_shape = {options.hidden}}))),
      head_(register_module("head", nn::Linear({.in_features = options.hidden,
                                                .out_features = options.classes}))) {
  // Positions start small (GPT-2's N(0, 0.02)) so that at first the model sees its tokens, not
  // 513 random N(0, 1) vectors as loud as they are; it learns positions only as far as it needs.
  nn::init::normal_(position_.weight(), 0.0, 0.02);
  for (std::size_t b = 0; b < attention.blocks; ++b)
    blocks_.emplace_back(options.hidden, attention.heads);
}

Var AttentionClassifier::embed(Tape& tape, const IndexTensor& tokens) {
  return embedding_(tape, tokens);
}

//! [model]
// embedded: [T, B, E] -> logits [B, classes], read at the last position (which sees them all).
Var AttentionClassifier::logits_from_embeddings(const Var& embedded) {
  if (embedded.rank() != 3 || embedded.dim(2) != options_.hidden)
    throw ShapeError("AttentionClassifier: embeddings " + shape_str(embedded.shape()) +
                     " must be [T, B, " + std::to_string(options_.hidden) + "]");
  const std::size_t length = embedded.dim(0);
  check_length(length, "embeddings", shape_str(embedded.shape()), attention_);
  // Positions [T, 1] -> [T, 1, E], broadcast over the batch.
  IndexTensor positions = IndexTensor::from_shape({length, 1});
  for (std::size_t t = 0; t < length; ++t) positions(t, 0) = static_cast<std::int64_t>(t);
  Var x = add(embedded, position_(embedded.tape(), positions));
  for (AttentionBlock& block : blocks_) x = block.forward(x);
  return head_(norm_(select(x, 0, length - 1)));
}
//! [model]

Var AttentionClassifier::logits(Tape& tape, const IndexTensor& tokens) {
  if (tokens.dimension() != 2)
    throw ShapeError("AttentionClassifier: tokens " + shape_str(tokens.shape()) +
                     " must be [T, B]");
  const std::size_t length = tokens.shape(0), batch = tokens.shape(1);
  check_length(length, "tokens", shape_str(tokens.shape()), attention_);
  const std::size_t per_slice =
      std::max<std::size_t>(1, attention_.eval_scores_per_slice / (length * length));
  if (grad_enabled() || batch <= per_slice) return logits_from_embeddings(embed(tape, tokens));

  // Evaluation of a large batch: slices on a scratch tape, cleared between them (its buffers
  // are reused), and only the logits copied onto the caller's tape, as data.
  Tensor all = zeros({batch, options_.classes});
  Tape scratch;
  for (std::size_t start = 0; start < batch; start += per_slice) {
    const std::size_t end = std::min(batch, start + per_slice);
    const IndexTensor part = xt::view(tokens, xt::all(), xt::range(start, end));
    scratch.clear();
    xt::view(all, xt::range(start, end), xt::all()) =
        logits_from_embeddings(embed(scratch, part)).value();
  }
  return tape.input(all);
}

std::size_t max_gap(ModelKind kind) {
  if (kind == ModelKind::attention) return AttentionOptions{}.max_positions - 1;
  return std::numeric_limits<std::size_t>::max();
}

}  // namespace recur::examples
