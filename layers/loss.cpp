#include "layers/loss.hpp"

namespace recur::nn {

Var CrossEntropyLoss::forward(const Var& logits, const IndexTensor& targets) {
  return cross_entropy(logits, targets, options_.ignore_index, options_.reduction);
}

Var MSELoss::forward(const Var& input, const Var& target) {
  return mse_loss(input, target, options_.reduction);
}

}  // namespace recur::nn
