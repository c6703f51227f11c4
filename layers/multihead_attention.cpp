#include "layers/multihead_attention.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "autograd/anomaly.hpp"
#include "autograd/ops/elementwise.hpp"
#include "autograd/ops/indexing.hpp"
#include "autograd/ops/layout_ops.hpp"
#include "autograd/ops/linalg.hpp"
#include "autograd/ops/nn_ops.hpp"
#include "autograd/ops/reductions.hpp"
#include "autograd/ops/shape_ops.hpp"
#include "autograd/tape.hpp"
#include "core/error.hpp"
#include "layers/init.hpp"

namespace recur::nn {
namespace {

constexpr float kBlocked = -std::numeric_limits<float>::infinity();

// The sizes of one call: N sequences, L queries, S keys, E features in H heads of D each.
struct Sizes {
  std::size_t batch, queries, keys, embed, heads, head_dim;
};

std::string shapes_of(const Var& query, const Var& key, const Var& value) {
  return "query " + shape_str(query.shape()) + ", key " + shape_str(key.shape()) + ", value " +
         shape_str(value.shape());
}

Sizes check_inputs(const Var& query, const Var& key, const Var& value,
                   const MultiheadAttentionOptions& options) {
  const std::size_t rank = query.rank();
  const auto fail = [&](const std::string& what) {
    throw ShapeError("MultiheadAttention: " + what + " (" + shapes_of(query, key, value) + ")");
  };
  if ((rank != 2 && rank != 3) || key.rank() != rank || value.rank() != rank)
    fail("query, key and value must all be 3-d ([L, N, E], or [N, L, E] with batch_first) or "
         "all 2-d for one unbatched sequence");
  const std::size_t batch_axis = rank == 2 ? 0 : (options.batch_first ? 0 : 1);
  const std::size_t time_axis = rank == 2 ? 0 : (options.batch_first ? 1 : 0);
  const std::size_t batch = rank == 2 ? 1 : query.dim(batch_axis);
  if (rank == 3 && (key.dim(batch_axis) != batch || value.dim(batch_axis) != batch))
    fail("the batch sizes differ");
  if (key.dim(time_axis) != value.dim(time_axis)) fail("key and value differ in length");
  if (query.dim(rank - 1) != options.embed_dim)
    fail("query must end in embed_dim = " + std::to_string(options.embed_dim));
  if (key.dim(rank - 1) != options.kdim)
    fail("key must end in kdim = " + std::to_string(options.kdim));
  if (value.dim(rank - 1) != options.vdim)
    fail("value must end in vdim = " + std::to_string(options.vdim));
  return {batch, query.dim(time_axis), key.dim(time_axis), options.embed_dim, options.num_heads,
          options.embed_dim / options.num_heads};
}

// The masks of one call as one additive tensor over [N or 1, H or 1, L, S] (broadcast to the
// scores [N, H, L, S]): -inf where any mask blocks, the sum of the float masks elsewhere.
struct CombinedMask {
  Shape shape;
  Tensor additive;          // finite values; 0 where blocked
  xt::xarray<bool> blocked;
  bool any_additive = false;
  bool any_blocked = false;
};

// `mask` of `shape` viewed as 4-d [N', H', L', S'] (1 for an axis it does not have).
struct MaskView {
  const AttentionMask* mask;
  std::array<std::size_t, 4> extent;
};

CombinedMask combine_masks(const AttentionArgs& args, const Sizes& sizes, bool unbatched) {
  std::vector<MaskView> views;
  const auto fail = [&](const char* which, const Shape& shape, const std::string& expected) {
    throw ShapeError(std::string("MultiheadAttention: ") + which + " " + shape_str(shape) +
                     " must be " + expected);
  };
  const std::size_t N = sizes.batch, H = sizes.heads, L = sizes.queries, S = sizes.keys;
  if (!args.attn_mask.empty()) {
    const Shape shape = args.attn_mask.shape();
    if (shape == Shape{L, S})
      views.push_back({&args.attn_mask, {1, 1, L, S}});
    else if (shape == Shape{N * H, L, S})
      views.push_back({&args.attn_mask, {N, H, L, S}});
    else
      fail("attn_mask", shape,
           "[L, S] = " + shape_str(Shape{L, S}) + " or [N * num_heads, L, S] = " +
               shape_str(Shape{N * H, L, S}));
  }
  if (!args.key_padding_mask.empty()) {
    const Shape shape = args.key_padding_mask.shape();
    const Shape expected = unbatched ? Shape{S} : Shape{N, S};
    if (shape != expected) fail("key_padding_mask", shape, "[N, S] = " + shape_str(expected));
    views.push_back({&args.key_padding_mask, {N, 1, 1, S}});
  }
  CombinedMask out;
  if (views.empty() && !args.causal) return out;
  std::array<std::size_t, 4> extent{1, 1, L, S};
  for (const MaskView& view : views)
    for (std::size_t axis = 0; axis < 4; ++axis)
      extent[axis] = std::max(extent[axis], view.extent[axis]);
  out.shape = Shape(extent.begin(), extent.end());
  out.additive = zeros(out.shape);
  out.blocked = xt::xarray<bool>::from_shape(out.shape);
  std::size_t flat = 0;
  for (std::size_t n = 0; n < extent[0]; ++n)
    for (std::size_t h = 0; h < extent[1]; ++h)
      for (std::size_t l = 0; l < extent[2]; ++l)
        for (std::size_t s = 0; s < extent[3]; ++s, ++flat) {
          float total = args.causal && s > l ? kBlocked : 0.0f;
          for (const MaskView& view : views) {
            const std::array<std::size_t, 4> at{n, h, l, s};
            std::size_t index = 0;  // row-major in the view, 0 along its broadcast axes
            for (std::size_t axis = 0; axis < 4; ++axis)
              index = index * view.extent[axis] + (view.extent[axis] == 1 ? 0 : at[axis]);
            total += view.mask->additive_at(index);
          }
          const bool blocked = total == kBlocked;
          out.blocked.data()[flat] = blocked;
          out.additive.data()[flat] = blocked ? 0.0f : total;
          out.any_blocked = out.any_blocked || blocked;
          out.any_additive = out.any_additive || (!blocked && total != 0.0f);
        }
  return out;
}

}  // namespace

AttentionMask::AttentionMask(Tensor additive)
    : additive_(std::move(additive)), kind_(Kind::additive) {
  for (float value : additive_)
    if (std::isnan(value) || value == std::numeric_limits<float>::infinity())
      throw ValueError("AttentionMask: a float mask is added to the scores, so it may hold -inf "
                       "(to block) and finite values, but not +inf or NaN");
}

AttentionMask::AttentionMask(xt::xarray<bool> blocked)
    : blocked_(std::move(blocked)), kind_(Kind::blocked) {}

Shape AttentionMask::shape() const {
  if (kind_ == Kind::additive) return Shape(additive_.shape().begin(), additive_.shape().end());
  if (kind_ == Kind::blocked) return Shape(blocked_.shape().begin(), blocked_.shape().end());
  return {};
}

float AttentionMask::additive_at(std::size_t index) const {
  if (kind_ == Kind::additive) return additive_.data()[index];
  if (kind_ == Kind::blocked) return blocked_.data()[index] ? kBlocked : 0.0f;
  return 0.0f;
}

xt::xarray<bool> causal_mask(std::size_t query_len, std::size_t key_len) {
  xt::xarray<bool> mask = xt::xarray<bool>::from_shape({query_len, key_len});
  for (std::size_t i = 0; i < query_len; ++i)
    for (std::size_t j = 0; j < key_len; ++j) mask(i, j) = j > i;
  return mask;
}

Tensor generate_square_subsequent_mask(std::size_t size) {
  Tensor mask = zeros({size, size});
  for (std::size_t i = 0; i < size; ++i)
    for (std::size_t j = i + 1; j < size; ++j) mask(i, j) = kBlocked;
  return mask;
}

MultiheadAttention::MultiheadAttention(const MultiheadAttentionOptions& options)
    : options_(options) {
  const std::size_t E = options.embed_dim;
  if (E == 0) throw ValueError("MultiheadAttention: embed_dim must be positive");
  if (options.num_heads == 0 || E % options.num_heads != 0)
    throw ValueError("MultiheadAttention: embed_dim " + std::to_string(E) +
                     " must be divisible by num_heads " + std::to_string(options.num_heads));
  if (!(options.dropout >= 0.0f && options.dropout < 1.0f))
    throw ValueError("MultiheadAttention: dropout must be in [0, 1), got " +
                     std::to_string(options.dropout));
  if (options_.kdim == 0) options_.kdim = E;
  if (options_.vdim == 0) options_.vdim = E;
  // torch's _reset_parameters: xavier_uniform_ projections, zero biases; out_proj keeps a
  // Linear's weight initialisation but gets a zero bias too.
  if (options_.kdim == E && options_.vdim == E) {
    in_proj_weight_ = &register_parameter("in_proj_weight", zeros({3 * E, E}));
    init::xavier_uniform_(*in_proj_weight_);
  } else {
    q_proj_weight_ = &register_parameter("q_proj_weight", zeros({E, E}));
    k_proj_weight_ = &register_parameter("k_proj_weight", zeros({E, options_.kdim}));
    v_proj_weight_ = &register_parameter("v_proj_weight", zeros({E, options_.vdim}));
    for (Parameter* weight : {q_proj_weight_, k_proj_weight_, v_proj_weight_})
      init::xavier_uniform_(*weight);
  }
  if (options.bias) in_proj_bias_ = &register_parameter("in_proj_bias", zeros({3 * E}));
  out_proj_ = &register_module("out_proj",
                               Linear({.in_features = E, .out_features = E, .bias = options.bias}));
  if (out_proj_->bias()) init::zeros_(*out_proj_->bias());
}

AttentionResult MultiheadAttention::operator()(const Var& query, const Var& key, const Var& value,
                                               const AttentionArgs& args) {
  ModuleScope scope(name());
  return forward(query, key, value, args);
}

// query [L, N, E], key [S, N, kdim], value [S, N, vdim] -> output [L, N, E], weights [N, L, S]
AttentionResult MultiheadAttention::forward(const Var& query, const Var& key, const Var& value,
                                            const AttentionArgs& args) {
  const Sizes sizes = check_inputs(query, key, value, options_);
  const bool unbatched = query.rank() == 2;
  const CombinedMask mask = combine_masks(args, sizes, unbatched);
  const std::size_t N = sizes.batch, L = sizes.queries, S = sizes.keys, E = sizes.embed,
                    H = sizes.heads, D = sizes.head_dim;
  Tape& tape = query.tape();

  // Everything below works batch-first: [N, L, E].
  const auto batch_first = [&](const Var& x) {
    if (unbatched) return reshape(x, {1, x.dim(0), x.dim(1)});
    return options_.batch_first ? x : transpose(x, 0, 1);
  };
  // The projections: one product for self-attention (query, key and value the same value),
  // else the query, key and value rows of the packed weight and bias each on their input.
  const Var bias = in_proj_bias_ ? tape.parameter(*in_proj_bias_) : Var();
  const auto bias_rows = [&](std::size_t part) {
    return bias.defined() ? slice(bias, 0, part * E, (part + 1) * E) : Var();
  };
  Var q, k, v;
  const bool self_attention = query.index() == key.index() && key.index() == value.index() &&
                              &query.tape() == &key.tape() && &key.tape() == &value.tape();
  if (in_proj_weight_ && self_attention) {
    const Var packed = linear(batch_first(query), tape.parameter(*in_proj_weight_), bias);
    const std::vector<Var> qkv = chunk(packed, 3, 2);  // [N, L, 3E] -> 3 x [N, L, E]
    q = qkv[0];
    k = qkv[1];
    v = qkv[2];
  } else {
    const Var packed = in_proj_weight_ ? tape.parameter(*in_proj_weight_) : Var();
    const auto weight_rows = [&](std::size_t part, Parameter* separate) {
      return separate ? tape.parameter(*separate) : slice(packed, 0, part * E, (part + 1) * E);
    };
    q = linear(batch_first(query), weight_rows(0, q_proj_weight_), bias_rows(0));
    k = linear(batch_first(key), weight_rows(1, k_proj_weight_), bias_rows(1));
    v = linear(batch_first(value), weight_rows(2, v_proj_weight_), bias_rows(2));
  }

  // [N, T, E] -> [N, H, T, D]: each head's features side by side, as torch's view(T, N*H, D).
  const auto split_heads = [&](const Var& x, std::size_t steps) {
    return permute(reshape(x, {N, steps, H, D}), {0, 2, 1, 3});
  };
  // Scaling q before the product costs L*D multiplications instead of L*S, as torch does.
  const Var q_heads = mul_scalar(split_heads(q, L), 1.0f / std::sqrt(static_cast<float>(D)));
  Var scores = matmul(q_heads, split_heads(k, S), false, true);  // [N, H, L, S]
  if (mask.any_additive) scores = add(scores, tape.input(mask.additive));
  if (mask.any_blocked) scores = masked_fill(scores, mask.blocked, kBlocked);
  Var weights = softmax(scores, -1);
  if (options_.dropout > 0.0f && is_training())
    weights = dropout(weights, options_.dropout, true);
  const Var context = matmul(weights, split_heads(v, S));  // [N, H, L, D]
  // [N, H, L, D] -> [N, L, H, D] -> [N, L, E] -> out_proj
  Var output = (*out_proj_)(reshape(permute(context, {0, 2, 1, 3}), {N, L, E}));
  if (unbatched)
    output = reshape(output, {L, E});
  else if (!options_.batch_first)
    output = transpose(output, 0, 1);

  AttentionResult result{output, Var()};
  if (args.need_weights) {
    result.weights = args.average_attn_weights ? mean(weights, 1) : weights;
    if (unbatched)
      result.weights = args.average_attn_weights ? reshape(result.weights, {L, S})
                                                 : reshape(result.weights, {H, L, S});
  }
  return result;
}

}  // namespace recur::nn
