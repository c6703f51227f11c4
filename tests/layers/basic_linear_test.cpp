// Linear: values by hand, leading axes, gradients, PyTorch's initialisation and its errors.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <string>

#include "autograd/gradcheck.hpp"
#include "autograd/tape.hpp"
#include "basic_support.hpp"
#include "core/error.hpp"
#include "core/random.hpp"
#include "layers/linear.hpp"
#include "support/check.hpp"

using namespace recur;

BOOST_AUTO_TEST_SUITE(basic_linear)

BOOST_AUTO_TEST_CASE(linear_matches_hand_computation) {
  nn::Linear layer({.in_features = 3, .out_features = 2});
  layer.weight().value = Tensor{{1.0f, 2.0f, 3.0f}, {-1.0f, 0.5f, 0.0f}};
  layer.bias()->value = Tensor{0.25f, -0.5f};
  Tape tape;
  const Var y = layer(tape.input(Tensor{{1.0f, 1.0f, 1.0f}, {2.0f, 0.0f, -1.0f}}));
  // row 0: [1+2+3, -1+0.5] + b = [6.25, -1.0]; row 1: [2-3, -2] + b = [-0.75, -2.5]
  RECUR_CHECK_CLOSE(y.value(), (Tensor{{6.25f, -1.0f}, {-0.75f, -2.5f}}), 1e-6, 1e-6);
}

BOOST_AUTO_TEST_CASE(linear_without_bias_has_only_a_weight) {
  nn::Linear layer({.in_features = 2, .out_features = 2, .bias = false});
  BOOST_TEST(layer.bias() == nullptr);
  BOOST_TEST(layer.named_parameters().size() == 1u);
  BOOST_TEST(layer.named_parameters()[0].first == "weight");
  layer.weight().value = Tensor{{1.0f, 2.0f}, {3.0f, 4.0f}};
  Tape tape;
  BOOST_TEST((layer(tape.input(Tensor{{1.0f, -1.0f}})).value() == Tensor{{-1.0f, -1.0f}}));
}

BOOST_AUTO_TEST_CASE(linear_applies_to_every_row_of_leading_axes) {
  manual_seed(1);
  nn::Linear layer({.in_features = 4, .out_features = 3});
  const Tensor x = Generator(2).uniform({2, 5, 4}, -1.0f, 1.0f);
  Tape tape;
  const Var y = layer(tape.input(x));
  BOOST_TEST((shape_of(y.value()) == Shape{2, 5, 3}));
  // The same rows as one [10, 4] batch give the same numbers.
  Tensor rows = x;
  rows.reshape({10, 4});
  Tensor expected = layer(tape.input(rows)).value();
  expected.reshape({2, 5, 3});
  RECUR_CHECK_CLOSE(y.value(), expected, 0.0, 0.0);
  // A single sample [in] gives [out].
  const Tensor one = Tensor{0.5f, -0.25f, 1.0f, 2.0f};
  BOOST_TEST((shape_of(layer(tape.input(one)).value()) == Shape{3}));
}

BOOST_AUTO_TEST_CASE(linear_input_gradient_matches_finite_differences) {
  manual_seed(4);
  nn::Linear layer({.in_features = 4, .out_features = 3});
  for (const Shape& shape : {Shape{5, 4}, Shape{2, 3, 4}, Shape{4}}) {
    const GradcheckResult result = gradcheck(
        [&](std::span<const Var> in) { return layer(in[0]); },
        {Generator(5).uniform(shape, -1.0f, 1.0f)});
    BOOST_TEST(result.ok, shape_str(shape) << ": " << result.report);
  }
}

BOOST_AUTO_TEST_CASE(linear_parameter_gradients_match_finite_differences) {
  manual_seed(6);
  nn::Linear layer({.in_features = 4, .out_features = 3});
  const Tensor x = Generator(7).uniform({2, 3, 4}, -1.0f, 1.0f);
  const std::string difference = test::check_parameter_gradients(
      layer, [&](Tape& tape) { return layer(tape.input(x)); });
  BOOST_TEST(difference.empty(), difference);
  // dL/db with L = sum(y) is the number of rows, 6, for every output.
  layer.zero_grad();
  Tape tape;
  tape.backward(sum(layer(tape.input(x))));
  RECUR_CHECK_CLOSE(layer.bias()->grad, full({3}, 6.0f), 1e-6, 1e-6);
}

BOOST_AUTO_TEST_CASE(linear_initialises_uniform_within_one_over_sqrt_in_features) {
  manual_seed(8);
  nn::Linear layer({.in_features = 16, .out_features = 64});
  const float bound = 0.25f;  // 1/sqrt(16)
  for (auto& [name, parameter] : layer.named_parameters()) {
    const auto [low, high] = std::minmax_element(parameter->value.begin(), parameter->value.end());
    BOOST_TEST(*low >= -bound, name);
    BOOST_TEST(*high <= bound, name);
    // Spread over the whole range, not a narrower one (1024 and 64 draws).
    BOOST_TEST(*low < -0.8f * bound, name);
    BOOST_TEST(*high > 0.8f * bound, name);
  }
  BOOST_TEST((shape_of(layer.weight().value) == Shape{64, 16}));
  BOOST_TEST((shape_of(layer.bias()->value) == Shape{64}));
}

BOOST_AUTO_TEST_CASE(same_seed_gives_same_weights) {
  manual_seed(42);
  nn::Linear first({.in_features = 5, .out_features = 7});
  manual_seed(42);
  nn::Linear second({.in_features = 5, .out_features = 7});
  nn::Linear third({.in_features = 5, .out_features = 7});
  BOOST_TEST((first.weight().value == second.weight().value));
  BOOST_TEST((first.bias()->value == second.bias()->value));
  BOOST_TEST((first.weight().value != third.weight().value));
}

BOOST_AUTO_TEST_CASE(linear_rejects_a_wrong_feature_count_naming_the_shapes) {
  nn::Linear layer({.in_features = 3, .out_features = 2});
  Tape tape;
  try {
    layer(tape.input(zeros({4, 5})));
    BOOST_FAIL("Linear(3 -> 2) accepted [4, 5]");
  } catch (const ShapeError& error) {
    const std::string message = error.what();
    BOOST_TEST(message.find("Linear") != std::string::npos, message);
    BOOST_TEST(message.find("[4, 5]") != std::string::npos, message);
    BOOST_TEST(message.find("in_features = 3") != std::string::npos, message);
  }
  BOOST_CHECK_THROW(layer(tape.input(Tensor(2.0f))), ShapeError);
  BOOST_CHECK_THROW(nn::Linear({.in_features = 0, .out_features = 2}), ValueError);
}

BOOST_AUTO_TEST_SUITE_END()
