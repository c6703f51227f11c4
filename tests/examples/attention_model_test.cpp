// The attention model of examples/memory_horizon (attention_model.hpp): its parameters, its
// refusal of sequences longer than its position table, and its evaluation in slices. That it
// learns the task is checked by running the program (memory_horizon_test.cpp).
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <string>

#include "attention_model.hpp"
#include "autograd/no_grad.hpp"
#include "core/random.hpp"
#include "support/errors.hpp"
#include "task.hpp"

namespace {

using recur::examples::AttentionClassifier;
using recur::examples::AttentionOptions;
using recur::examples::ModelKind;
using recur::examples::ModelOptions;

// The sweep's sizes: 8 keys, 17 tokens, width 32.
ModelOptions sweep_sizes() {
  return {.kind = ModelKind::attention, .vocabulary = 17, .classes = 8, .hidden = 32};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(attention_model)

BOOST_AUTO_TEST_CASE(parameters_have_pytorch_names_shapes_and_initialisation) {
  recur::manual_seed(1);
  AttentionClassifier model(sweep_sizes());
  std::map<std::string, std::string> shapes;
  for (auto& [name, parameter] : model.named_parameters())
    shapes[name] = recur::shape_str(parameter->value.shape());
  BOOST_TEST(shapes.at("embedding.weight") == "[17, 32]");
  BOOST_TEST(shapes.at("position.weight") == "[513, 32]");
  BOOST_TEST(shapes.at("blocks.0.norm1.weight") == "[32]");
  BOOST_TEST(shapes.at("blocks.0.attention.in_proj_weight") == "[96, 32]");
  BOOST_TEST(shapes.at("blocks.1.attention.out_proj.weight") == "[32, 32]");
  BOOST_TEST(shapes.at("blocks.1.mlp.0.weight") == "[128, 32]");
  BOOST_TEST(shapes.at("blocks.1.mlp.2.bias") == "[32]");
  BOOST_TEST(shapes.at("norm.bias") == "[32]");
  BOOST_TEST(shapes.at("head.weight") == "[8, 32]");
  // embedding 544 + positions 16,416 + 2 blocks of 12,704 (two norms 128, attention 4,224,
  // MLP 8,352) + final norm 64 + head 264.
  BOOST_TEST(model.num_parameters() == 42696u);
  BOOST_TEST(shapes.size() == 2u + 2u * 12u + 2u + 2u);
  // Positions start at GPT-2's N(0, 0.02): 16,416 draws put the sample deviation within 2%.
  const recur::Tensor& positions = model.find_parameter("position.weight")->value;
  double squares = 0;
  for (float value : positions) squares += double(value) * value;
  const double deviation = std::sqrt(squares / static_cast<double>(positions.size()));
  BOOST_TEST(deviation > 0.0196);
  BOOST_TEST(deviation < 0.0204);
}

BOOST_AUTO_TEST_CASE(refuses_sequences_longer_than_its_position_table) {
  recur::manual_seed(1);
  AttentionClassifier model(sweep_sizes());
  recur::Tape tape;
  recur::IndexTensor tokens = recur::IndexTensor::from_shape({514, 2});
  tokens.fill(9);
  recur::test::expect_error<recur::ShapeError>(
      [&] { model.logits(tape, tokens); },
      {"AttentionClassifier", "[514, 2]", "514 positions", "max_positions = 513"});
  BOOST_TEST(recur::examples::max_gap(ModelKind::attention) == 512u);
  BOOST_TEST(recur::examples::max_gap(ModelKind::lstm) ==
             std::numeric_limits<std::size_t>::max());
  // The name on the command line.
  BOOST_TEST((recur::examples::parse_model("attention") == ModelKind::attention));
  BOOST_TEST(recur::examples::model_name(ModelKind::attention) == "attention");
  const std::string refused =
      recur::test::error_message([] { recur::examples::parse_model("transformer"); });
  BOOST_TEST(recur::test::contains(refused, "'transformer'"), refused);
  BOOST_TEST(recur::test::contains(refused, "attention, baseline"), refused);
}

BOOST_AUTO_TEST_CASE(evaluation_in_slices_equals_one_pass_over_the_batch) {
  // 2 sequences of 20 per slice: a batch of 5 is read in slices of 2, 2 and 1.
  recur::manual_seed(3);
  AttentionClassifier model(sweep_sizes(), AttentionOptions{.eval_scores_per_slice = 2 * 400});
  recur::Generator data(4);
  const recur::examples::TaskBatch batch =
      recur::examples::make_batch(recur::examples::TaskOptions{}, 19, 5, data);
  model.eval();
  recur::Tape tape;
  const recur::Tensor whole = model.logits(tape, batch.tokens).value();  // with grad: one pass
  recur::Tensor sliced;
  {
    recur::NoGradGuard no_grad;
    recur::Tape eval_tape;
    sliced = model.logits(eval_tape, batch.tokens).value();
  }
  BOOST_TEST_REQUIRE(recur::shape_str(sliced.shape()) == "[5, 8]");
  float largest = 0, difference = 0;
  for (std::size_t i = 0; i < whole.size(); ++i) {
    largest = std::max(largest, std::abs(whole.data()[i]));
    difference = std::max(difference, std::abs(whole.data()[i] - sliced.data()[i]));
  }
  BOOST_TEST(largest > 0.01f, "the logits are all (near) zero: " << largest);
  BOOST_TEST(difference < 1e-5f, "sliced and whole logits differ by " << difference);
}

BOOST_AUTO_TEST_SUITE_END()
