/// @file
/// Dropout: zeroes random elements in training, the identity in evaluation.
#pragma once

#include "layers/module.hpp"

namespace recur::nn {

/// Options of Dropout.
struct DropoutOptions {
  float p = 0.5f;  ///< Probability of zeroing an element, in [0, 1).
};

/// Inverted dropout, torch.nn.Dropout: in training each element is zeroed with probability p
/// and the rest are scaled by 1/(1-p), drawing from recur::default_generator(); after eval() it
/// passes x through unchanged.
/// @code
/// recur::nn::Dropout drop({.p = 0.2f});
/// recur::Var y = drop(x);
/// @endcode
class Dropout : public UnaryModule {
 public:
  /// @throws recur::ValueError unless 0 <= p < 1.
  explicit Dropout(const DropoutOptions& options = {});
  /// x -> x with dropout applied (training) or x itself (evaluation), any shape.
  Var forward(const Var& x) override;
  /// The options.
  const DropoutOptions& options() const { return options_; }

 private:
  DropoutOptions options_;
};

}  // namespace recur::nn
