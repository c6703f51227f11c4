// MultiheadAttention and LayerNorm beyond the torch fixtures: names and initialisation, the
// causal flag, causality itself, dropout, gradient checks through masks, and bad input.
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <functional>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "autograd/gradcheck.hpp"
#include "autograd/ops/elementwise.hpp"
#include "autograd/ops/normalization.hpp"
#include "autograd/ops/reductions.hpp"
#include "autograd/ops/shape_ops.hpp"
#include "autograd/tape.hpp"
#include "core/error.hpp"
#include "core/random.hpp"
#include "layers/layer_norm.hpp"
#include "layers/multihead_attention.hpp"
#include "support/check.hpp"
#include "support/errors.hpp"
#include "support/tensors.hpp"

using namespace recur;
using recur::test::contains;
using recur::test::error_message;
using recur::test::random_tensor;

namespace {

std::vector<std::string> names_of(nn::Module& module) {
  std::vector<std::string> names;
  for (auto& [name, parameter] : module.named_parameters()) names.push_back(name);
  return names;
}

float max_abs(const Tensor& tensor) {
  float worst = 0;
  for (float v : tensor) worst = std::max(worst, std::abs(v));
  return worst;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(attention)

BOOST_AUTO_TEST_CASE(parameters_have_torchs_names_shapes_and_initialisation) {
  manual_seed(1);
  nn::MultiheadAttention attention({.embed_dim = 16, .num_heads = 4});
  BOOST_TEST(names_of(attention) == (std::vector<std::string>{"in_proj_weight", "in_proj_bias",
                                                              "out_proj.weight", "out_proj.bias"}),
             boost::test_tools::per_element());
  const Tensor& in_proj = attention.find_parameter("in_proj_weight")->value;
  BOOST_TEST(shape_str(in_proj.shape()) == "[48, 16]");
  // xavier_uniform_ on [3E, E]: bound sqrt(6 / (E + 3E)); out_proj is a Linear: 1/sqrt(E).
  BOOST_TEST(max_abs(in_proj) <= std::sqrt(6.0f / 64.0f));
  BOOST_TEST(max_abs(in_proj) > 0.9f * std::sqrt(6.0f / 64.0f));
  BOOST_TEST(max_abs(attention.out_proj().weight().value) <= 0.25f);
  BOOST_TEST(max_abs(attention.find_parameter("in_proj_bias")->value) == 0.0f);
  BOOST_TEST(max_abs(attention.out_proj().bias()->value) == 0.0f);

  nn::MultiheadAttention separate(
      {.embed_dim = 8, .num_heads = 2, .bias = false, .kdim = 3, .vdim = 5});
  BOOST_TEST(names_of(separate) == (std::vector<std::string>{"q_proj_weight", "k_proj_weight",
                                                             "v_proj_weight", "out_proj.weight"}),
             boost::test_tools::per_element());
  BOOST_TEST(shape_str(separate.find_parameter("k_proj_weight")->value.shape()) == "[8, 3]");
  BOOST_TEST(shape_str(separate.find_parameter("v_proj_weight")->value.shape()) == "[8, 5]");
}

BOOST_AUTO_TEST_CASE(the_causal_flag_equals_the_causal_masks_and_hides_the_future) {
  manual_seed(2);
  nn::MultiheadAttention attention({.embed_dim = 8, .num_heads = 2});
  const Tensor x = random_tensor({6, 2, 8}, 3);
  Tape tape;
  const Var input = tape.input(x);
  const auto flagged = attention(input, input, input, {.causal = true});
  const auto booleans = attention(input, input, input, {.attn_mask = nn::causal_mask(6, 6)});
  const auto floats =
      attention(input, input, input, {.attn_mask = nn::generate_square_subsequent_mask(6)});
  RECUR_CHECK_CLOSE(flagged.output.value(), booleans.output.value(), 0.0, 0.0);
  RECUR_CHECK_CLOSE(flagged.output.value(), floats.output.value(), 0.0, 0.0);
  // No weight on a later position, and each row of weights sums to 1.
  const Tensor& weights = flagged.weights.value();  // [N, L, S]
  for (std::size_t n = 0; n < 2; ++n)
    for (std::size_t l = 0; l < 6; ++l) {
      double total = 0;
      for (std::size_t s = 0; s < 6; ++s) {
        total += weights(n, l, s);
        if (s > l) BOOST_TEST(weights(n, l, s) == 0.0f);
      }
      BOOST_TEST(total == 1.0, boost::test_tools::tolerance(1e-6));
    }
  // Changing the last step changes no earlier output.
  Tensor changed = x;
  for (std::size_t n = 0; n < 2; ++n)
    for (std::size_t e = 0; e < 8; ++e) changed(5, n, e) += 1.0f;
  const Var other = tape.input(changed);
  const Tensor after = attention(other, other, other, {.causal = true}).output.value();
  const Tensor& before = flagged.output.value();
  for (std::size_t t = 0; t < 5; ++t)
    for (std::size_t n = 0; n < 2; ++n)
      for (std::size_t e = 0; e < 8; ++e) BOOST_TEST(after(t, n, e) == before(t, n, e));
  BOOST_TEST(after(5, 0, 0) != before(5, 0, 0));
}

BOOST_AUTO_TEST_CASE(dropout_acts_on_the_weights_in_training_only) {
  manual_seed(4);
  nn::MultiheadAttention attention({.embed_dim = 8, .num_heads = 2, .dropout = 0.5f});
  Tape tape;
  const Var x = tape.input(random_tensor({5, 3, 8}, 5));
  const Tensor trained = attention(x, x, x).weights.value();
  attention.eval();
  const Tensor evaluated = attention(x, x, x).weights.value();
  const Tensor again = attention(x, x, x).weights.value();
  RECUR_CHECK_CLOSE(evaluated, again, 0.0, 0.0);
  BOOST_TEST(!(trained == evaluated));
  const auto none = attention(x, x, x, {.need_weights = false});
  BOOST_TEST(!none.weights.defined());
  BOOST_TEST(none.output.defined());
}

BOOST_AUTO_TEST_CASE(gradients_through_masks_match_finite_differences) {
  manual_seed(6);
  nn::MultiheadAttention attention({.embed_dim = 6, .num_heads = 3, .batch_first = true});
  xt::xarray<bool> padding = xt::xarray<bool>::from_shape({2, 5});
  padding.fill(false);
  padding(1, 4) = true;
  Tensor bias = random_tensor({4, 5}, 7);
  const std::vector<Tensor> inputs = {random_tensor({2, 4, 6}, 8), random_tensor({2, 5, 6}, 9),
                                      random_tensor({2, 5, 6}, 10)};
  for (const bool of_weights : {false, true}) {
    const GradcheckResult result = gradcheck(
        [&](std::span<const Var> in) {
          const auto out =
              attention(in[0], in[1], in[2], {.attn_mask = bias, .key_padding_mask = padding});
          return of_weights ? out.weights : out.output;
        },
        inputs);
    BOOST_TEST(result.ok, (of_weights ? "weights: " : "output: ") << result.report);
  }
}

BOOST_AUTO_TEST_CASE(bad_inputs_and_masks_name_the_shapes) {
  nn::MultiheadAttention attention({.embed_dim = 8, .num_heads = 2});
  Tape tape;
  const Var q = tape.input(zeros({4, 2, 8})), kv = tape.input(zeros({6, 2, 8}));
  const std::vector<std::pair<std::string, std::function<void()>>> cases = {
      {"query must end in embed_dim = 8",
       [&] {
         attention(tape.input(zeros({4, 2, 7})), kv, kv);
       }},
      {"the batch sizes differ",
       [&] {
         attention(q, tape.input(zeros({6, 3, 8})), kv);
       }},
      {"key and value differ in length",
       [&] {
         attention(q, kv, tape.input(zeros({5, 2, 8})));
       }},
      {"attn_mask [6, 4] must be [L, S] = [4, 6]",
       [&] {
         attention(q, kv, kv, {.attn_mask = zeros({6, 4})});
       }},
      {"key_padding_mask [6, 2] must be [N, S] = [2, 6]",
       [&] { attention(q, kv, kv, {.key_padding_mask = nn::causal_mask(6, 2)}); }},
      {"all 2-d", [&] { attention(tape.input(zeros({8})), kv, kv); }},
  };
  for (const auto& [expected, call] : cases) {
    const std::string message = error_message<ShapeError>(call);
    BOOST_TEST(contains(message, expected), message);
  }
  const std::string heads =
      error_message<ValueError>([] { nn::MultiheadAttention({.embed_dim = 10, .num_heads = 4}); });
  BOOST_TEST(contains(heads, "divisible by num_heads 4"), heads);
  const std::string inf = error_message<ValueError>([] {
    nn::AttentionMask(full({2, 2}, std::numeric_limits<float>::infinity()));
  });
  BOOST_TEST(contains(inf, "+inf"), inf);
}

BOOST_AUTO_TEST_CASE(layer_norm_is_the_op_with_ones_and_zeros_to_start) {
  nn::LayerNorm norm({.normalized_shape = {3, 4}});
  BOOST_TEST(names_of(norm) == (std::vector<std::string>{"weight", "bias"}),
             boost::test_tools::per_element());
  BOOST_TEST(shape_str(norm.weight()->value.shape()) == "[3, 4]");
  RECUR_CHECK_CLOSE(norm.weight()->value, full({3, 4}, 1.0f), 0.0, 0.0);
  RECUR_CHECK_CLOSE(norm.bias()->value, zeros({3, 4}), 0.0, 0.0);
  Tape tape;
  const Var x = tape.input(random_tensor({2, 3, 4}, 11));
  RECUR_CHECK_CLOSE(norm(x).value(), layer_norm(x, Shape{3, 4}).value(), 0.0, 0.0);
  // Without bias: weight alone; without affine: no parameter.
  nn::LayerNorm no_bias({.normalized_shape = {4}, .bias = false});
  BOOST_TEST(names_of(no_bias) == (std::vector<std::string>{"weight"}),
             boost::test_tools::per_element());
  nn::LayerNorm plain({.normalized_shape = {4}, .elementwise_affine = false});
  BOOST_TEST(plain.named_parameters().empty());
  const std::string shape = error_message<ShapeError>([&] { norm(tape.input(zeros({2, 4, 3}))); });
  BOOST_TEST(contains(shape, "[2, 4, 3]"), shape);
  const std::string empty = error_message<ValueError>([] { nn::LayerNorm({}); });
  BOOST_TEST(contains(empty, "normalized_shape"), empty);
}

BOOST_AUTO_TEST_SUITE_END()
