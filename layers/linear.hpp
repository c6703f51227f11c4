/// @file
/// Linear: the affine map y = x W^T + b of torch.nn.Linear.
#pragma once

#include <cstddef>

#include "layers/module.hpp"

namespace recur::nn {

/// Options of Linear, filled with designated initialisers.
struct LinearOptions {
  std::size_t in_features = 0;   ///< Size of each input sample (the last axis of x).
  std::size_t out_features = 0;  ///< Size of each output sample.
  bool bias = true;              ///< Whether to learn an additive bias.
};

/// y = x W^T + b, with torch.nn.Linear's parameters `weight` [out, in] and `bias` [out], both
/// initialised uniform(-1/sqrt(in), 1/sqrt(in)) from recur::default_generator().
///
/// The input is [N, in] or any [..., in] (the leading axes are flattened into one GEMM and
/// restored afterwards), or a single sample [in].
/// @code
/// recur::nn::Linear head({.in_features = 128, .out_features = 10});
/// recur::Var logits = head(features);   // [B, 128] -> [B, 10]
/// @endcode
class Linear : public UnaryModule {
 public:
  /// Registers `weight` (and `bias` unless options.bias is false).
  /// @throws recur::ValueError when a size is 0.
  explicit Linear(const LinearOptions& options);

  /// x: [..., in] -> [..., out].
  /// @param x Any number of leading axes, then in_features.
  /// @throws recur::ShapeError when x's last axis is not in_features.
  Var forward(const Var& x) override;

  /// The weight [out, in].
  Parameter& weight() { return *weight_; }
  /// The bias [out], or nullptr when the layer has none.
  Parameter* bias() { return bias_; }
  /// The options the layer was built with.
  const LinearOptions& options() const { return options_; }

 private:
  LinearOptions options_;
  Parameter* weight_ = nullptr;
  Parameter* bias_ = nullptr;
};

}  // namespace recur::nn
