// Declaring children with the owning Module::register_module(): a model built the natural way (each
// layer named once, nested blocks, a ModuleList, a Sequential) has every parameter in parameters(),
// named_parameters(), the optimiser's gradients and the saved file, under PyTorch's names.
#include <boost/test/unit_test.hpp>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "autograd/ops/elementwise.hpp"
#include "autograd/ops/reductions.hpp"
#include "autograd/ops/shape_ops.hpp"
#include "autograd/tape.hpp"
#include "core/error.hpp"
#include "core/npz.hpp"
#include "core/random.hpp"
#include "layers/activation.hpp"
#include "layers/dropout.hpp"
#include "layers/embedding.hpp"
#include "layers/identity.hpp"
#include "layers/linear.hpp"
#include "layers/lstm.hpp"
#include "layers/module_list.hpp"
#include "layers/sequential.hpp"
#include "layers/serialize.hpp"
#include "support/errors.hpp"
#include "support/scratch_dir.hpp"

using namespace recur;
using recur::test::contains;
using recur::test::error_message;

namespace {

constexpr std::size_t V = 10, E = 4, H = 6, C = 3;

// A residual block: x + drop(tanh(inner(x))); moved into its list by ModuleList::push_back.
struct Block : nn::Module {
  nn::Linear& inner;
  nn::Dropout& drop;
  explicit Block(std::size_t width)
      : inner(register_module("inner", nn::Linear({.in_features = width, .out_features = width}))),
        drop(register_module("drop", nn::Dropout({.p = 0.25f}))) {}
  Var forward(const Var& x) { return add(x, drop(tanh(inner(x)))); }
};

// Every child declared once, where it is built: members initialised by register_module().
struct Model : nn::Module {
  nn::Embedding& embed =
      register_module("embed", nn::Embedding({.num_embeddings = V, .embedding_dim = E}));
  nn::LSTM& lstm =
      register_module("lstm", nn::LSTM({.input_size = E, .hidden_size = H, .num_layers = 2}));
  nn::ModuleList<Block>& blocks = register_module("blocks", nn::ModuleList<Block>());
  nn::Sequential& head = register_module("head", nn::Sequential());

  Model() {
    blocks.push_back(Block(H));
    blocks.emplace_back(H);
    head.push_back(nn::Linear({.in_features = H, .out_features = H}));
    head.push_back(nn::Tanh());
    head.push_back(nn::Identity());
    head.push_back(nn::Linear({.in_features = H, .out_features = C}));
  }

  // tokens [T, B] -> logits [B, C]
  Var forward(Tape& tape, const IndexTensor& tokens) {
    Var h = select(lstm(embed(tape, tokens)).output, 0, tokens.shape(0) - 1);  // [B, H]
    for (Block& block : blocks) h = block.forward(h);
    return head(h);
  }
};

// The names and shapes PyTorch gives the same model.
const std::vector<std::pair<std::string, Shape>> expected_parameters = {
    {"embed.weight", {V, E}},
    {"lstm.weight_ih_l0", {4 * H, E}},
    {"lstm.weight_hh_l0", {4 * H, H}},
    {"lstm.bias_ih_l0", {4 * H}},
    {"lstm.bias_hh_l0", {4 * H}},
    {"lstm.weight_ih_l1", {4 * H, H}},
    {"lstm.weight_hh_l1", {4 * H, H}},
    {"lstm.bias_ih_l1", {4 * H}},
    {"lstm.bias_hh_l1", {4 * H}},
    {"blocks.0.inner.weight", {H, H}},
    {"blocks.0.inner.bias", {H}},
    {"blocks.1.inner.weight", {H, H}},
    {"blocks.1.inner.bias", {H}},
    {"head.0.weight", {H, H}},
    {"head.0.bias", {H}},
    {"head.3.weight", {C, H}},
    {"head.3.bias", {C}},
};

IndexTensor tokens_for_test() {
  IndexTensor tokens = IndexTensor::from_shape({5, 2});
  for (std::size_t i = 0; i < tokens.size(); ++i)
    tokens.data()[i] = static_cast<std::int64_t>((3 * i + 1) % V);
  return tokens;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(registration)

BOOST_AUTO_TEST_CASE(a_model_built_by_value_names_every_parameter_as_pytorch_does) {
  manual_seed(3);
  Model model;
  const auto named = model.named_parameters();
  BOOST_TEST_REQUIRE(named.size() == expected_parameters.size());
  std::size_t total = 0;
  for (std::size_t i = 0; i < named.size(); ++i) {
    BOOST_TEST(named[i].first == expected_parameters[i].first);
    BOOST_TEST(
        shape_str(named[i].second->value.shape()) == shape_str(expected_parameters[i].second),
        named[i].first);
    total += shape_numel(expected_parameters[i].second);
  }
  BOOST_TEST(model.num_parameters() == total);
  // parameters() is the same list, and the references register_module() returned are the owned
  // children.
  const auto parameters = model.parameters();
  for (std::size_t i = 0; i < named.size(); ++i) BOOST_TEST(parameters[i] == named[i].second);
  BOOST_TEST(model.find_parameter("lstm.weight_hh_l1") ==
             model.lstm.find_parameter("weight_hh_l1"));
  BOOST_TEST(model.find_parameter("blocks.1.inner.bias") == model.blocks[1].inner.bias());
  BOOST_TEST(model.find_parameter("head.3.weight") ==
             &dynamic_cast<nn::Linear&>(model.head[3]).weight());
  BOOST_TEST(model.blocks[0].name() == "0");
  BOOST_TEST(model.blocks.name() == "blocks");
}

BOOST_AUTO_TEST_CASE(every_parameter_of_a_model_built_by_value_receives_a_gradient) {
  manual_seed(4);
  Model model;
  Tape tape;
  const Var logits = model.forward(tape, tokens_for_test());
  BOOST_TEST(shape_str(logits.shape()) == "[2, 3]");
  IndexTensor labels = IndexTensor::from_shape({2});
  labels(0) = 2;
  labels(1) = 0;
  tape.backward(sum(mul(logits, logits)));
  for (auto& [name, parameter] : model.named_parameters()) {
    double norm = 0;
    for (float g : parameter->grad) norm += double(g) * g;
    BOOST_TEST(norm > 0.0, name << " received no gradient");
  }
}

BOOST_AUTO_TEST_CASE(save_and_load_cover_every_parameter_of_a_model_built_by_value) {
  test::ScratchDir dir("registration");
  manual_seed(5);
  Model saved;
  nn::save(saved, dir.file("model.npz"));
  const NpzEntries entries = load_npz(dir.file("model.npz"));
  BOOST_TEST_REQUIRE(entries.size() == expected_parameters.size());
  for (std::size_t i = 0; i < entries.size(); ++i)
    BOOST_TEST(entries[i].first == expected_parameters[i].first);

  manual_seed(6);
  Model loaded;
  BOOST_TEST(!(loaded.blocks[1].inner.weight().value == saved.blocks[1].inner.weight().value));
  nn::load(loaded, dir.file("model.npz"));
  const auto a = saved.named_parameters(), b = loaded.named_parameters();
  for (std::size_t i = 0; i < a.size(); ++i)
    BOOST_TEST((a[i].second->value == b[i].second->value), a[i].first << " differs after load");
  saved.eval();
  loaded.eval();
  Tape tape;
  BOOST_TEST((saved.forward(tape, tokens_for_test()).value() ==
              loaded.forward(tape, tokens_for_test()).value()));
}

BOOST_AUTO_TEST_CASE(added_children_follow_the_parents_mode) {
  Model model;
  model.eval();
  BOOST_TEST(!model.blocks[1].drop.is_training());
  // A child added to a module in evaluation mode starts in evaluation mode too.
  Block& late = model.blocks.push_back(Block(H));
  BOOST_TEST(!late.drop.is_training());
  model.train();
  BOOST_TEST(late.drop.is_training());
  BOOST_TEST(model.find_parameter("blocks.2.inner.weight") == &late.inner.weight());
}

BOOST_AUTO_TEST_CASE(register_module_takes_a_heap_module_and_returns_it) {
  nn::Module model;
  auto owned = std::make_unique<nn::Linear>(nn::LinearOptions{.in_features = 2, .out_features = 3});
  nn::Linear* raw = owned.get();
  nn::Linear& added = model.register_module("proj", std::move(owned));
  BOOST_TEST(&added == raw);
  BOOST_TEST(model.find_parameter("proj.weight") == &raw->weight());
  const std::string null = error_message<ValueError>(
      [&] { model.register_module("none", std::unique_ptr<nn::Linear>()); });
  BOOST_TEST(contains(null, "null"), null);
}

BOOST_AUTO_TEST_CASE(register_module_refuses_repeated_empty_and_dotted_names) {
  nn::Module model;
  model.register_module("head", nn::Identity());
  for (const char* name : {"head", "", "a.b"}) {
    const std::string message =
        error_message<ValueError>([&] { model.register_module(name, nn::Identity()); });
    BOOST_TEST(contains(message, "register_module:"), name << ": " << message);
  }
  BOOST_TEST(model.named_children().size() == 1u);
  nn::Linear member({.in_features = 1, .out_features = 1});
  const std::string by_reference =
      error_message<ValueError>([&] { model.register_module("head", member); });
  BOOST_TEST(contains(by_reference, "already registered"), by_reference);
}

BOOST_AUTO_TEST_CASE(moving_a_module_with_a_registered_member_throws_instead_of_dangling) {
  // The old way: a member registered by reference. Moving it into a parent would leave the
  // member (and the registered pointer to it) in the moved-from object.
  struct Legacy : nn::Module {
    nn::Linear head{{.in_features = 2, .out_features = 2}};
    Legacy() { register_module("head", head); }
  };
  nn::Module parent;
  const std::string message =
      error_message<ValueError>([&] { parent.register_module("legacy", Legacy()); });
  BOOST_TEST(contains(message, "registered by reference"), message);
  BOOST_TEST(contains(message, "'head'"), message);
  BOOST_TEST(parent.named_children().empty());
  // register_module itself keeps working where the module is not moved.
  Legacy in_place;
  BOOST_TEST(in_place.find_parameter("head.weight") == &in_place.head.weight());
}

BOOST_AUTO_TEST_CASE(module_list_indexes_iterates_and_refuses_out_of_range) {
  nn::ModuleList<nn::Linear> list;
  BOOST_TEST(list.empty());
  for (std::size_t i = 1; i <= 3; ++i)
    list.push_back(nn::Linear({.in_features = i, .out_features = 1}));
  std::size_t expected_in = 1;
  for (nn::Linear& layer : list) BOOST_TEST(layer.options().in_features == expected_in++);
  BOOST_TEST(list.size() == 3u);
  BOOST_TEST(list[2].options().in_features == 3u);
  BOOST_TEST(list.named_parameters()[4].first == "2.weight");
  const std::string message = error_message<ValueError>([&] { (void)list[3]; });
  BOOST_TEST(contains(message, "index 3"), message);
  BOOST_TEST(contains(message, "3 modules"), message);
}

BOOST_AUTO_TEST_CASE(identity_returns_its_input) {
  Tape tape;
  const Var x = tape.input(full({2, 2}, 1.5f), true);
  nn::Identity identity;
  const Var y = identity(x);
  BOOST_TEST(y.index() == x.index());
}

BOOST_AUTO_TEST_SUITE_END()
