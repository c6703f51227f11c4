// Snippet for docs/models.md: a small attention classifier declared with register_module,
// initialised with nn::init, trained on padded batches of variable-length sequences from
// recur::data, and scored with data::accuracy. The test checks that it learns the task.
#include <recur/recur.hpp>

#include <cstdio>
#include <vector>

using namespace recur;

constexpr std::size_t kVocabulary = 10, kWidth = 32, kHeads = 4;

//! [block]
// A pre-norm transformer block: x + attention(norm(x)), then x + mlp(norm(x)).
struct Block : nn::Module {
  nn::LayerNorm& norm1 = register_module("norm1", nn::LayerNorm({.normalized_shape = {kWidth}}));
  nn::MultiheadAttention& attention = register_module(
      "attention", nn::MultiheadAttention({.embed_dim = kWidth, .num_heads = kHeads}));
  nn::LayerNorm& norm2 = register_module("norm2", nn::LayerNorm({.normalized_shape = {kWidth}}));
  nn::Sequential& mlp = register_module("mlp", nn::Sequential());

  Block() {
    mlp.push_back(nn::Linear({.in_features = kWidth, .out_features = 4 * kWidth}));
    mlp.push_back(nn::GELU());
    mlp.push_back(nn::Linear({.in_features = 4 * kWidth, .out_features = kWidth}));
  }

  // x: [T, B, E] -> [T, B, E]; padding: [B, T], true at padded steps.
  Var forward(const Var& x, const xt::xarray<bool>& padding) {
    const Var h = norm1(x);
    const Var attended = attention(h, h, h, {.key_padding_mask = padding,
                                             .need_weights = false}).output;
    const Var y = add(x, attended);
    return add(y, mlp(norm2(y)));
  }
};
//! [block]

//! [model]
// Reads a sequence of tokens and names its largest token: every step must look at all the others.
struct MaxFinder : nn::Module {
  nn::Embedding& embed = register_module(
      "embed", nn::Embedding({.num_embeddings = kVocabulary, .embedding_dim = kWidth}));
  nn::ModuleList<Block>& blocks = register_module("blocks", nn::ModuleList<Block>());
  nn::Linear& head = register_module(
      "head", nn::Linear({.in_features = kWidth, .out_features = kVocabulary}));

  MaxFinder() {
    for (int i = 0; i < 2; ++i) blocks.push_back(Block());
    nn::init::xavier_uniform_(head.weight());
    nn::init::zeros_(*head.bias());
  }

  // tokens [T, B] with lengths [B] -> logits [B, V], read at step 0 (which attends to all).
  Var forward(Tape& tape, const IndexTensor& tokens, const IndexTensor& lengths) {
    const xt::xarray<bool> padding = data::padding_mask(lengths, tokens.shape(0));
    Var x = embed(tape, tokens);
    for (Block& block : blocks) x = block.forward(x, padding);
    return head(select(x, 0, 0));
  }
};
//! [model]

int main() {
  manual_seed(1);
  // A data set of 512 sequences of 2 to 9 tokens, each labelled with its largest token.
  Generator draw(2);
  std::vector<IndexTensor> sequences;
  IndexTensor labels = IndexTensor::from_shape({512});
  for (std::size_t i = 0; i < 512; ++i) {
    IndexTensor sequence = IndexTensor::from_shape({2 + draw.below(8)});
    for (auto& token : sequence) token = static_cast<std::int64_t>(draw.below(kVocabulary));
    labels(i) = *std::max_element(sequence.begin(), sequence.end());
    sequences.push_back(sequence);
  }

  //! [train]
  MaxFinder model;
  optim::AdamW optimizer(model.parameters(), {.lr = 3e-3});
  data::SequenceBatcher batches(sequences, {.batch_size = 32, .seed = 3}, labels);
  Tape tape;
  for (int epoch = 0; epoch < 12; ++epoch)
    while (auto batch = batches.next()) {  // padded tokens [T, B], lengths [B], labels [B]
      tape.clear();
      const Var loss = cross_entropy(model.forward(tape, batch->tokens, batch->lengths),
                                     batch->labels);
      tape.backward(loss);
      optimizer.step();
      optimizer.zero_grad();
    }
  //! [train]

  //! [evaluate]
  model.eval();
  NoGradGuard no_grad;
  std::size_t correct = 0;
  data::SequenceBatcher in_order(sequences, {.batch_size = 128, .shuffle = false}, labels);
  while (auto batch = in_order.next()) {
    tape.clear();
    const Tensor logits = model.forward(tape, batch->tokens, batch->lengths).value();
    correct += data::num_correct(argmax(logits, 1), batch->labels);
  }
  const double accuracy = static_cast<double>(correct) / static_cast<double>(sequences.size());
  //! [evaluate]
  std::printf("%zu parameters; accuracy %.3f after 12 passes (chance about 0.2)\n",
              model.num_parameters(), accuracy);
  return accuracy > 0.6 ? 0 : 1;
}
