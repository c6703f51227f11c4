/// @file
/// LayerNorm: layer normalisation over the trailing axes, torch.nn.LayerNorm.
#pragma once

#include "core/shape.hpp"
#include "layers/module.hpp"

namespace recur::nn {

/// Options of LayerNorm, torch.nn.LayerNorm's arguments.
struct LayerNormOptions {
  /// The trailing extents normalised over: `{H}` for features [..., H], `{T, H}` for both.
  Shape normalized_shape = {};
  double eps = 1e-5;                ///< Added to the variance inside the square root.
  bool elementwise_affine = true;   ///< Learn `weight` (ones at first) and `bias` (zeros).
  bool bias = true;                 ///< With elementwise_affine: learn `bias` too (torch >= 2.1).
};

/// y = (x - mean) / sqrt(var + eps) * weight + bias over the trailing normalized_shape axes
/// (biased variance, as torch), with torch.nn.LayerNorm's parameters: `weight` and `bias` of
/// shape normalized_shape, initialised to ones and zeros. One op on the tape (recur::layer_norm).
/// @code
/// recur::nn::LayerNorm norm({.normalized_shape = {256}});
/// recur::Var y = norm(x);   // [T, B, 256] -> [T, B, 256]
/// @endcode
class LayerNorm : public UnaryModule {
 public:
  /// Registers `weight` and `bias` (unless elementwise_affine or bias is false).
  /// @throws recur::ValueError for an empty normalized_shape, an extent of 0 or eps < 0.
  explicit LayerNorm(const LayerNormOptions& options);

  /// x: [..., *normalized_shape] -> the same shape.
  /// @throws recur::ShapeError naming both shapes when x does not end in normalized_shape.
  Var forward(const Var& x) override;

  /// The scale, or nullptr without elementwise_affine.
  Parameter* weight() { return weight_; }
  /// The shift, or nullptr without elementwise_affine or bias.
  Parameter* bias() { return bias_; }
  /// The options.
  const LayerNormOptions& options() const { return options_; }

 private:
  LayerNormOptions options_;
  Parameter* weight_ = nullptr;
  Parameter* bias_ = nullptr;
};

}  // namespace recur::nn
