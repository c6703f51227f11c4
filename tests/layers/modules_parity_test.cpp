// LayerNorm, MultiheadAttention and pad_sequence against PyTorch, through the fixtures of
// tests/fixtures/gen_modules.py: the same parameters and inputs give torch's output, attention
// weights and, after backward from a random projection, every parameter's and input's gradient,
// within 1e-4 relative, 1e-5 absolute.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include <xtensor/xarray.hpp>

#include "autograd/ops/elementwise.hpp"
#include "autograd/ops/reductions.hpp"
#include "autograd/tape.hpp"
#include "core/npy.hpp"
#include "layers/data_padding.hpp"
#include "layers/layer_norm.hpp"
#include "layers/multihead_attention.hpp"
#include "support/check.hpp"
#include "support/fixtures.hpp"

using namespace recur;
using recur::test::Fixture;

namespace {

constexpr double kRtol = 1e-4, kAtol = 1e-5;

// Copies every param.<name> of the fixture into the module's parameter of that name, and checks
// the module has no parameter the fixture lacks (and so torch's module lacks).
void load_parameters(nn::Module& module, const Fixture& fixture) {
  std::size_t count = 0;
  for (const auto& [key, array] : fixture.entries()) {
    if (key.rfind("param.", 0) != 0) continue;
    ++count;
    Parameter* parameter = module.find_parameter(key.substr(6));
    BOOST_TEST_REQUIRE(parameter != nullptr, fixture.name() << ": no parameter " << key.substr(6));
    const Tensor value = array.to_tensor();
    BOOST_TEST_REQUIRE(shape_str(value.shape()) == shape_str(parameter->value.shape()), key);
    parameter->value = value;
    parameter->bump_version();
  }
  BOOST_TEST(module.named_parameters().size() == count,
             fixture.name() << ": torch's module has " << count << " parameters");
}

// The gradients of every parameter against grad.<name>.
void check_parameter_gradients(nn::Module& module, const Fixture& fixture) {
  for (auto& [name, parameter] : module.named_parameters()) {
    BOOST_TEST_CONTEXT(fixture.name() << ": grad." << name) {
      RECUR_CHECK_CLOSE(parameter->grad, fixture.tensor("grad." + name), kRtol, kAtol);
    }
  }
}

// sum(result * proj.<name>) over the results the fixture has.
Var projected_loss(Tape& tape, const Fixture& fixture,
                   const std::vector<std::pair<std::string, Var>>& results) {
  Var loss;
  for (const auto& [name, value] : results) {
    if (!value.defined()) continue;
    const Var term = sum(mul(value, tape.input(fixture.tensor("proj." + name))));
    loss = loss.defined() ? add(loss, term) : term;
  }
  return loss;
}

nn::AttentionMask mask_of(const Fixture& fixture, const std::string& name) {
  const std::string key = "mask." + name;
  if (!fixture.has(key)) return {};
  if (fixture.at(key).dtype == DType::boolean) {
    const IndexTensor values = fixture.index(key);
    xt::xarray<bool> blocked = xt::xarray<bool>::from_shape(values.shape());
    for (std::size_t i = 0; i < values.size(); ++i) blocked.data()[i] = values.data()[i] != 0;
    return blocked;
  }
  return fixture.tensor(key);
}

void check_layer_norm(const std::string& name) {
  const Fixture fixture("modules", name);
  const IndexTensor shape = fixture.index("config.normalized_shape");
  nn::LayerNorm norm({.normalized_shape = Shape(shape.begin(), shape.end()),
                      .eps = fixture.config_double("eps"),
                      .elementwise_affine = fixture.config("elementwise_affine") != 0});
  load_parameters(norm, fixture);
  Tape tape;
  const Var x = tape.input(fixture.tensor("input.x"), true);
  const Var y = norm(x);
  RECUR_CHECK_CLOSE(y.value(), fixture.tensor("output"), kRtol, kAtol);
  tape.backward(projected_loss(tape, fixture, {{"output", y}}));
  RECUR_CHECK_CLOSE(x.grad(), fixture.tensor("grad.x"), kRtol, kAtol);
  check_parameter_gradients(norm, fixture);
}

void check_attention(const std::string& name) {
  BOOST_TEST_CONTEXT("fixture " << name) {
    const Fixture fixture("modules", name);
    nn::MultiheadAttention attention({
        .embed_dim = static_cast<std::size_t>(fixture.config("embed_dim")),
        .num_heads = static_cast<std::size_t>(fixture.config("num_heads")),
        .bias = fixture.config("bias") != 0,
        .kdim = static_cast<std::size_t>(fixture.config("kdim")),
        .vdim = static_cast<std::size_t>(fixture.config("vdim")),
        .batch_first = fixture.config("batch_first") != 0,
    });
    load_parameters(attention, fixture);
    Tape tape;
    const bool self = fixture.config("self_attention") != 0;
    const Var query = tape.input(fixture.tensor("input.query"), true);
    const Var key = self ? query : tape.input(fixture.tensor("input.key"), true);
    const Var value = self ? query : tape.input(fixture.tensor("input.value"), true);
    const nn::AttentionResult result =
        attention(query, key, value,
                  {.attn_mask = mask_of(fixture, "attn_mask"),
                   .key_padding_mask = mask_of(fixture, "key_padding_mask"),
                   .average_attn_weights = fixture.config("average_attn_weights") != 0});
    RECUR_CHECK_CLOSE(result.output.value(), fixture.tensor("output"), kRtol, kAtol);
    RECUR_CHECK_CLOSE(result.weights.value(), fixture.tensor("weights"), kRtol, kAtol);
    tape.backward(projected_loss(tape, fixture, {{"output", result.output},
                                                 {"weights", result.weights}}));
    RECUR_CHECK_CLOSE(query.grad(), fixture.tensor("grad.query"), kRtol, kAtol);
    if (!self) {
      RECUR_CHECK_CLOSE(key.grad(), fixture.tensor("grad.key"), kRtol, kAtol);
      RECUR_CHECK_CLOSE(value.grad(), fixture.tensor("grad.value"), kRtol, kAtol);
    }
    check_parameter_gradients(attention, fixture);
  }
}

void check_pad_sequence(const std::string& name) {
  const Fixture fixture("modules", name);
  std::vector<Tensor> sequences;
  for (std::int64_t i = 0; i < fixture.config("count"); ++i)
    sequences.push_back(fixture.tensor("seq." + std::to_string(i)));
  const data::Padded<Tensor> ours =
      data::pad_sequence(sequences, {.batch_first = fixture.config("batch_first") != 0,
                                     .padding_value = fixture.config_double("padding_value")});
  RECUR_CHECK_CLOSE(ours.padded, fixture.tensor("padded"), 0.0, 0.0);
  for (std::size_t b = 0; b < sequences.size(); ++b)
    BOOST_TEST(ours.lengths(b) == static_cast<std::int64_t>(sequences[b].shape()[0]));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(modules_parity)

BOOST_AUTO_TEST_CASE(layer_norm_matches_torch) {
  for (const char* name : {"layer_norm_last_axis", "layer_norm_two_axes", "layer_norm_no_affine"})
    BOOST_TEST_CONTEXT(name) { check_layer_norm(name); }
}

BOOST_AUTO_TEST_CASE(multihead_attention_matches_torch_without_masks) {
  for (const char* name : {"mha_self", "mha_self_batch_first", "mha_cross", "mha_no_bias",
                           "mha_weights_per_head", "mha_kdim_vdim"})
    check_attention(name);
}

BOOST_AUTO_TEST_CASE(multihead_attention_matches_torch_with_masks) {
  for (const char* name : {"mha_causal", "mha_additive_mask", "mha_mask_per_head",
                           "mha_key_padding", "mha_causal_and_padding", "mha_four_heads",
                           "mha_unbatched"})
    check_attention(name);
}

BOOST_AUTO_TEST_CASE(pad_sequence_matches_torch) {
  for (const char* name : {"pad_sequence_time_major", "pad_sequence_batch_first"})
    BOOST_TEST_CONTEXT(name) { check_pad_sequence(name); }
}

BOOST_AUTO_TEST_CASE(every_fixture_is_checked) {
  // A case added to gen_modules.py must be added here too.
  const std::vector<std::string> checked = {
      "layer_norm_last_axis", "layer_norm_two_axes", "layer_norm_no_affine", "mha_self",
      "mha_self_batch_first", "mha_cross", "mha_no_bias", "mha_weights_per_head",
      "mha_kdim_vdim", "mha_causal", "mha_additive_mask", "mha_mask_per_head", "mha_key_padding",
      "mha_causal_and_padding", "mha_four_heads", "mha_unbatched", "pad_sequence_time_major",
      "pad_sequence_batch_first"};
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(test::fixture_dir("modules"))) {
    ++files;
    const std::string stem = entry.path().stem().string();
    BOOST_TEST((std::find(checked.begin(), checked.end(), stem) != checked.end()),
               stem << " is not checked");
  }
  BOOST_TEST(files == checked.size());
}

BOOST_AUTO_TEST_SUITE_END()
