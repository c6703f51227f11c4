/// @file
/// MultiheadAttention: scaled dot-product attention over several heads,
/// torch.nn.MultiheadAttention.
#pragma once

#include <cstddef>

#include <xtensor/xarray.hpp>

#include "core/tensor.hpp"
#include "layers/linear.hpp"
#include "layers/module.hpp"

namespace recur::nn {

/// Options of MultiheadAttention, torch.nn.MultiheadAttention's arguments (add_bias_kv and
/// add_zero_attn are not offered).
struct MultiheadAttentionOptions {
  std::size_t embed_dim = 0;   ///< E, the query features and the output features.
  std::size_t num_heads = 1;   ///< Heads; each attends with E / num_heads features.
  float dropout = 0.0f;        ///< Dropout on the attention weights, in training.
  bool bias = true;            ///< Learn `in_proj_bias` and `out_proj.bias`.
  std::size_t kdim = 0;        ///< Key features; 0 means embed_dim.
  std::size_t vdim = 0;        ///< Value features; 0 means embed_dim.
  bool batch_first = false;    ///< Inputs and output [N, L, E] instead of [L, N, E].
};

/// A mask over attention scores, in either of torch's two forms: booleans where `true` blocks
/// a query-key pair, or floats added to the scores (`-inf` blocks, other values bias).
/// @code
/// recur::nn::AttentionMask causal = recur::nn::causal_mask(T, T);   // booleans
/// recur::nn::AttentionMask bias = distance_penalty;                 // a [T, T] Tensor
/// @endcode
class AttentionMask {
 public:
  /// No mask.
  AttentionMask() = default;
  /// Floats added to the scores; `-inf` blocks.
  AttentionMask(Tensor additive);  // NOLINT: converts implicitly, as torch takes either type
  /// Booleans; `true` blocks.
  AttentionMask(xt::xarray<bool> blocked);  // NOLINT
  /// True when there is no mask.
  bool empty() const { return kind_ == Kind::none; }
  /// The mask's shape.
  Shape shape() const;
  /// Element `index` (row-major) as an additive value: -inf where blocked.
  float additive_at(std::size_t index) const;

 private:
  enum class Kind { none, additive, blocked };
  Tensor additive_;
  xt::xarray<bool> blocked_;
  Kind kind_ = Kind::none;
};

/// [query_len, key_len] booleans, true where key j comes after query i (j > i): the mask that
/// lets each position attend only to itself and earlier ones.
xt::xarray<bool> causal_mask(std::size_t query_len, std::size_t key_len);

/// The same causal mask as floats, 0 and -inf, as torch's
/// nn.Transformer.generate_square_subsequent_mask(size).
Tensor generate_square_subsequent_mask(std::size_t size);

/// The optional arguments of MultiheadAttention::forward, torch's keyword arguments.
struct AttentionArgs {
  /// [L, S], or [N * num_heads, L, S] for one mask per sequence and head.
  AttentionMask attn_mask = {};
  /// [N, S] ([S] unbatched): true (or -inf) marks a key that is padding, ignored by every query.
  AttentionMask key_padding_mask = {};
  /// Also block every key after its query (causal_mask(L, S)), on top of attn_mask.
  bool causal = false;
  /// Return the attention weights as well.
  bool need_weights = true;
  /// Average the weights over the heads ([N, L, S]) rather than return each ([N, H, L, S]).
  bool average_attn_weights = true;
};

/// What MultiheadAttention returns, torch's `(attn_output, attn_output_weights)`.
struct AttentionResult {
  Var output;   ///< [L, N, E] ([N, L, E] with batch_first, [L, E] unbatched).
  Var weights;  ///< [N, L, S] averaged or [N, H, L, S]; empty when need_weights is false.
};

/// Multi-head scaled dot-product attention, torch.nn.MultiheadAttention: the query, key and value
/// are projected by `in_proj_weight` [3E, E] and `in_proj_bias` [3E] (or `q_proj_weight`,
/// `k_proj_weight`, `v_proj_weight` when kdim or vdim differ from E), split into heads of
/// E / num_heads features, each head computes softmax(q k^T / sqrt(E / num_heads) + mask) v,
/// and the heads' outputs, concatenated, go through `out_proj` (a Linear E -> E). Initialised
/// as torch: xavier_uniform_ projections, zero biases, out_proj.weight as a Linear's.
/// @code
/// recur::nn::MultiheadAttention attention({.embed_dim = 64, .num_heads = 4});
/// auto [y, weights] = attention(x, x, x, {.causal = true});   // self-attention, [T, B, 64]
/// @endcode
class MultiheadAttention : public Module {
 public:
  /// Registers the projections and `out_proj`.
  /// @throws recur::ValueError when embed_dim is 0, num_heads does not divide it, or dropout is
  ///         not in [0, 1).
  explicit MultiheadAttention(const MultiheadAttentionOptions& options);

  /// Attends from `query` [L, N, E] to `key` [S, N, kdim] and `value` [S, N, vdim] ([N, ...]
  /// with batch_first; [L, E], [S, kdim], [S, vdim] for one unbatched sequence).
  /// @throws recur::ShapeError naming the shapes when the inputs, or a mask, do not fit.
  /// @throws recur::ValueError for a float mask holding +inf or NaN.
  AttentionResult forward(const Var& query, const Var& key, const Var& value,
                          const AttentionArgs& args = {});
  /// forward(), inside this module's ModuleScope (so anomaly errors can name it).
  AttentionResult operator()(const Var& query, const Var& key, const Var& value,
                             const AttentionArgs& args = {});

  /// The out_proj Linear.
  Linear& out_proj() { return *out_proj_; }
  /// The options, with kdim and vdim filled in.
  const MultiheadAttentionOptions& options() const { return options_; }

 private:
  MultiheadAttentionOptions options_;
  Parameter* in_proj_weight_ = nullptr;  // [3E, E] when kdim == vdim == E
  Parameter* q_proj_weight_ = nullptr;   // [E, E], [E, kdim], [E, vdim] otherwise
  Parameter* k_proj_weight_ = nullptr;
  Parameter* v_proj_weight_ = nullptr;
  Parameter* in_proj_bias_ = nullptr;    // [3E]
  Linear* out_proj_ = nullptr;
};

}  // namespace recur::nn
