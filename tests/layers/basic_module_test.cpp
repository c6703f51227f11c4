// Module plumbing through the basic layers: PyTorch's dotted names, modes, zero_grad, Sequential.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "autograd/ops/reductions.hpp"
#include "autograd/tape.hpp"
#include "core/error.hpp"
#include "core/random.hpp"
#include "layers/activation.hpp"
#include "layers/dropout.hpp"
#include "layers/embedding.hpp"
#include "layers/linear.hpp"
#include "layers/sequential.hpp"

using namespace recur;

namespace {

// encoder.embed, encoder.project, head = Sequential(Linear, ReLU, Dropout, Linear)
struct Encoder : nn::Module {
  nn::Embedding embed{{.num_embeddings = 10, .embedding_dim = 4}};
  nn::Linear project{{.in_features = 4, .out_features = 6}};
  Encoder() {
    register_module("embed", embed);
    register_module("project", project);
  }
};

struct Model : nn::Module {
  Encoder encoder;
  nn::Sequential head;
  Model() {
    register_module("encoder", encoder);
    head.emplace<nn::Linear>(nn::LinearOptions{.in_features = 6, .out_features = 5});
    head.emplace<nn::ReLU>();
    head.emplace<nn::Dropout>(nn::DropoutOptions{.p = 0.5f});
    head.emplace<nn::Linear>(nn::LinearOptions{.in_features = 5, .out_features = 3, .bias = false});
    register_module("head", head);
  }
  Var forward(Tape& tape, const IndexTensor& tokens) {
    return head(encoder.project(encoder.embed(tape, tokens)));
  }
};

std::vector<std::string> names_of(nn::Module& module) {
  std::vector<std::string> names;
  for (auto& [name, parameter] : module.named_parameters()) names.push_back(name);
  return names;
}

bool all_in_mode(nn::Module& module, bool training) {
  if (module.is_training() != training) return false;
  for (const auto& [name, child] : module.named_children())
    if (!all_in_mode(*child, training)) return false;
  return true;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(basic_module)

BOOST_AUTO_TEST_CASE(named_parameters_give_pytorchs_dotted_names_for_nested_models) {
  Model model;
  const std::vector<std::string> expected = {
      "encoder.embed.weight", "encoder.project.weight", "encoder.project.bias",
      "head.0.weight",        "head.0.bias",            "head.3.weight"};
  BOOST_TEST(names_of(model) == expected, boost::test_tools::per_element());
  // 10*4 + 6*4 + 6 + 5*6 + 5 + 3*5
  BOOST_TEST(model.num_parameters() == 120u);
  BOOST_TEST(model.parameters().size() == 6u);
}

BOOST_AUTO_TEST_CASE(sequential_names_children_by_position) {
  nn::Sequential mlp;
  mlp.emplace<nn::Linear>(nn::LinearOptions{.in_features = 2, .out_features = 3});
  mlp.emplace<nn::Tanh>();
  mlp.emplace<nn::Linear>(nn::LinearOptions{.in_features = 3, .out_features = 1});
  const std::vector<std::string> expected = {"0.weight", "0.bias", "2.weight", "2.bias"};
  BOOST_TEST(names_of(mlp) == expected, boost::test_tools::per_element());
  BOOST_TEST(mlp.size() == 3u);
  BOOST_TEST(mlp.named_children()[1].first == "1");
  BOOST_CHECK_THROW(mlp[3], ValueError);
  BOOST_CHECK_THROW(mlp.push_back(nullptr), ValueError);
}

BOOST_AUTO_TEST_CASE(sequential_built_from_a_vector_applies_modules_in_order) {
  std::vector<std::unique_ptr<nn::UnaryModule>> modules;
  modules.push_back(std::make_unique<nn::Linear>(nn::LinearOptions{.in_features = 2, .out_features = 2}));
  modules.push_back(std::make_unique<nn::ReLU>());
  nn::Sequential chain(std::move(modules));
  auto& linear = dynamic_cast<nn::Linear&>(chain[0]);
  linear.weight().value = Tensor{{1.0f, 0.0f}, {0.0f, -1.0f}};
  linear.bias()->value = Tensor{0.5f, 0.5f};
  Tape tape;
  const Var y = chain(tape.input(Tensor{{1.0f, 2.0f}}));
  // relu([1 + 0.5, -2 + 0.5]) = [1.5, 0]
  BOOST_TEST((y.value() == Tensor{{1.5f, 0.0f}}));
}

BOOST_AUTO_TEST_CASE(find_parameter_looks_up_a_dotted_name) {
  Model model;
  BOOST_TEST(model.find_parameter("head.0.bias") == model.head.named_parameters()[1].second);
  BOOST_TEST(model.find_parameter("encoder.embed.weight") == &model.encoder.embed.weight());
  BOOST_TEST(model.find_parameter("head.3.bias") == nullptr);
  BOOST_TEST(model.find_parameter("weight") == nullptr);
}

BOOST_AUTO_TEST_CASE(train_and_eval_reach_every_descendant) {
  Model model;
  BOOST_TEST(all_in_mode(model, true));
  model.eval();
  BOOST_TEST(all_in_mode(model, false));
  BOOST_TEST(!model.head[2].is_training());
  // A module added to a container in eval mode follows the container.
  model.head.emplace<nn::Tanh>();
  BOOST_TEST(!model.head[4].is_training());
  model.train();
  BOOST_TEST(all_in_mode(model, true));
}

BOOST_AUTO_TEST_CASE(eval_switches_dropout_off_inside_a_model) {
  manual_seed(3);
  Model model;
  const IndexTensor tokens = {{1, 2, 3}, {4, 5, 6}};
  model.eval();
  Tape tape;
  const Tensor first = model.forward(tape, tokens).value();
  const Tensor second = model.forward(tape, tokens).value();
  BOOST_TEST((first == second));
  model.train();
  const Tensor noisy = model.forward(tape, tokens).value();
  BOOST_TEST((noisy != first));
}

BOOST_AUTO_TEST_CASE(zero_grad_clears_every_gradient) {
  manual_seed(5);
  Model model;
  model.eval();
  {
    Tape tape;
    tape.backward(sum(model.forward(tape, IndexTensor{{1, 2}, {3, 0}})));
  }
  for (auto& [name, parameter] : model.named_parameters())
    BOOST_TEST(std::any_of(parameter->grad.begin(), parameter->grad.end(),
                           [](float g) { return g != 0.0f; }),
               name << " received no gradient");
  model.zero_grad();
  for (auto& [name, parameter] : model.named_parameters())
    BOOST_TEST(std::all_of(parameter->grad.begin(), parameter->grad.end(),
                           [](float g) { return g == 0.0f; }),
               name << " still has a gradient");
}

BOOST_AUTO_TEST_CASE(dropout_zeroes_and_rescales_in_training_and_passes_through_in_eval) {
  manual_seed(11);
  nn::Dropout drop({.p = 0.25f});
  Tape tape;
  const Var x = tape.input(full({40, 50}, 2.0f));
  const Tensor& y = drop(x).value();
  std::size_t zeros_seen = 0;
  for (float v : y) {
    BOOST_TEST((v == 0.0f || std::abs(v - 2.0f / 0.75f) < 1e-6f), "unexpected value " << v);
    zeros_seen += v == 0.0f;
  }
  // 2000 draws at p = 0.25: 500 expected, standard deviation ~19.
  BOOST_TEST(zeros_seen > 420u);
  BOOST_TEST(zeros_seen < 580u);
  drop.eval();
  BOOST_TEST((drop(x).value() == x.value()));
  BOOST_CHECK_THROW(nn::Dropout({.p = 1.0f}), ValueError);
  BOOST_CHECK_THROW(nn::Dropout({.p = -0.1f}), ValueError);
}

BOOST_AUTO_TEST_CASE(activation_modules_compute_their_functions) {
  Tape tape;
  const Var x = tape.input(Tensor{-2.0f, 0.5f, 3.0f});
  nn::ReLU relu;
  nn::Tanh tanh;
  nn::Sigmoid sigmoid;
  BOOST_TEST((relu(x).value() == Tensor{0.0f, 0.5f, 3.0f}));
  for (std::size_t i = 0; i < 3; ++i) {
    const float v = x.value()(i);
    BOOST_TEST(tanh(x).value()(i) == std::tanh(v), boost::test_tools::tolerance(1e-6f));
    BOOST_TEST(sigmoid(x).value()(i) == 1.0f / (1.0f + std::exp(-v)),
               boost::test_tools::tolerance(1e-6f));
  }
}

BOOST_AUTO_TEST_SUITE_END()
