// The zoo's engine layers (layers/zoo/) as layers: each equals its op-by-op reference path with
// every option on; a declaration runs one step as nn::RecurrentCell; names, shapes and the
// papers' initialisations; IndRNN's bound on |u|; bad input refused naming the cell.
#include <boost/test/unit_test.hpp>

#include "zoo_support.hpp"

using namespace recur;
using namespace recur::test;

BOOST_AUTO_TEST_SUITE(zoo_layers)

BOOST_AUTO_TEST_CASE(every_zoo_layer_equals_its_reference_path_with_every_option) {
  const std::size_t T = 6, B = 4;
  const ZooOptions options{.num_layers = 2, .batch_first = true, .bidirectional = true};
  const Tensor x = Generator(1).uniform({B, T, I}, -1.0f, 1.0f);
  const IndexTensor lengths = {6, 2, 5, 3};
  for (const auto& [name, make] : zoo())
    BOOST_TEST_CONTEXT(name) {
      std::unique_ptr<nn::detail::SequenceLayer> layer = make(options);
      const std::vector<Tensor> initial = initial_states(*layer, 4, B, 7);
      for (const IndexTensor* l : {static_cast<const IndexTensor*>(nullptr), &lengths})
        BOOST_TEST_CONTEXT((l ? "padded" : "full")) {
          const Outcome engine = run_once(*layer, x, l, initial);
          nn::ReferencePathGuard reference_path;
          const Outcome reference = run_once(*layer, x, l, initial);
          expect_same(engine, reference, 1e-5, 1e-5);
        }
    }
}

// The one-step form of a zoo cell is nn::RecurrentCell of its declaration: one step of it
// from the layer's weights gives the layer's first output.
template <class Cell, class Layer, class LayerOptions>
void check_one_step_equals_the_layer(const LayerOptions& options) {
  Layer layer(options);
  nn::RecurrentCell<Cell> cell({.input_size = I, .hidden_size = H});
  for (auto& [name, parameter] : cell.named_parameters())
    parameter->value = layer.find_parameter(name + "_l0")->value;
  Tape tape;
  const Var x = tape.input(Generator(6).uniform({1, 2, I}, -1, 1));
  const nn::RecurrentResult whole = layer(x);
  const std::array<Var, cell::kMaxStates> step = cell(select(x, 0, 0));
  RECUR_CHECK_CLOSE(Tensor(step[0].value()), Tensor(select(whole.output, 0, 0).value()), 1e-6,
                    1e-7);
}

BOOST_AUTO_TEST_CASE(zoo_cells_run_one_step_as_recurrent_cells) {
  check_one_step_equals_the_layer<nn::cells::MinGRU, nn::MinGRU>(
      nn::MinGRUOptions{.input_size = I, .hidden_size = H});
  check_one_step_equals_the_layer<nn::cells::SLSTM, nn::SLSTM>(
      nn::SLSTMOptions{.input_size = I, .hidden_size = H});
  check_one_step_equals_the_layer<nn::cells::IndRNNReLU, nn::IndRNN>(
      nn::IndRNNOptions{.input_size = I, .hidden_size = H});
}

BOOST_AUTO_TEST_CASE(zoo_layers_have_torch_style_names_and_shapes) {
  nn::PeepholeLSTM peephole({.input_size = I, .hidden_size = H});
  std::vector<std::string> names;
  for (auto& [name, p] : peephole.named_parameters()) names.push_back(name);
  BOOST_TEST(names == (std::vector<std::string>{"weight_ih_l0", "weight_hh_l0", "bias_ih_l0",
                                                "bias_hh_l0", "weight_ci_l0", "weight_cf_l0",
                                                "weight_co_l0"}),
             boost::test_tools::per_element());
  nn::CIFGLSTM cifg({.input_size = I, .hidden_size = H});
  BOOST_TEST(cifg.find_parameter("weight_ih_l0")->value.shape(0) == 3 * H);
  BOOST_TEST(cifg.find_parameter("weight_cf_l0") == nullptr);  // f = 1 - i: no forget peephole
  nn::IndRNN indrnn({.input_size = I, .hidden_size = H, .bidirectional = true});
  names.clear();
  for (auto& [name, p] : indrnn.named_parameters()) names.push_back(name);
  BOOST_TEST(names == (std::vector<std::string>{"weight_ih_l0", "bias_ih_l0", "weight_hh_l0",
                                                "weight_ih_l0_reverse", "bias_ih_l0_reverse",
                                                "weight_hh_l0_reverse"}),
             boost::test_tools::per_element());
  BOOST_TEST(indrnn.find_parameter("weight_hh_l0")->value.dimension() == 1);  // u is a vector
  nn::MinGRU min_gru({.input_size = I, .hidden_size = H, .num_layers = 2});
  BOOST_TEST(min_gru.named_parameters().size() == 4);  // weight_ih, bias_ih per layer
  BOOST_TEST(min_gru.find_parameter("weight_ih_l1")->value.shape(0) == 2 * H);
  BOOST_TEST(min_gru.find_parameter("weight_ih_l1")->value.shape(1) == H);
  nn::MinLSTM min_lstm({.input_size = I, .hidden_size = H});
  BOOST_TEST(min_lstm.find_parameter("bias_ih_l0")->value.shape(0) == 3 * H);
}

BOOST_AUTO_TEST_CASE(zoo_layers_start_from_their_papers_initialisation) {
  const auto all_in = [](const Tensor& t, float low, float high) {
    bool inside = true, spread = false;
    for (float v : t) {
      inside = inside && v >= low && v <= high;
      spread = spread || v != t.data()[0];
    }
    return inside && spread;
  };
  nn::PeepholeLSTM peephole({.input_size = I, .hidden_size = H});
  for (const char* name : {"weight_ci_l0", "weight_cf_l0", "weight_co_l0"})
    for (float v : peephole.find_parameter(name)->value) BOOST_TEST(v == 0.0f);
  nn::CIFGLSTM cifg({.input_size = I, .hidden_size = H});
  for (float v : cifg.find_parameter("weight_co_l0")->value) BOOST_TEST(v == 0.0f);
  // IndRNN: u ~ U(0, 1) by default, or the range asked for.
  nn::IndRNN indrnn({.input_size = I, .hidden_size = 64});
  BOOST_TEST(all_in(indrnn.find_parameter("weight_hh_l0")->value, 0.0f, 1.0f));
  nn::IndRNN memory({.input_size = I, .hidden_size = 64,
                     .recurrent_init_min = std::pow(0.5f, 1.0f / 100), .recurrent_init_max = 1});
  BOOST_TEST(all_in(memory.find_parameter("weight_hh_l0")->value, std::pow(0.5f, 0.01f), 1.0f));
  // minGRU and minLSTM: nn.Linear's uniform(+-1/sqrt(in)), per layer's input width.
  nn::MinGRU min_gru({.input_size = 16, .hidden_size = 64, .num_layers = 2});
  BOOST_TEST(all_in(min_gru.find_parameter("weight_ih_l0")->value, -0.25f, 0.25f));
  BOOST_TEST(all_in(min_gru.find_parameter("bias_ih_l0")->value, -0.25f, 0.25f));
  BOOST_TEST(all_in(min_gru.find_parameter("weight_ih_l1")->value, -0.125f, 0.125f));
  BOOST_TEST(!all_in(min_gru.find_parameter("weight_ih_l0")->value, -0.2f, 0.2f));
}

BOOST_AUTO_TEST_CASE(indrnn_clamps_u_to_its_bound_when_asked) {
  const float bound = std::pow(2.0f, 1.0f / 10);
  nn::IndRNN rnn({.input_size = I, .hidden_size = 8, .num_layers = 2,
                  .recurrent_init_min = -3.0f, .recurrent_init_max = 3.0f,
                  .recurrent_max_abs = bound});
  Parameter& u = *rnn.find_parameter("weight_hh_l1");
  for (float v : u.value) BOOST_TEST(std::abs(v) <= bound);  // clamped once when built
  // An optimiser step pushes u out; clamp_recurrent_weights() brings it back, and says so.
  u.value.data()[0] = 5.0f;
  u.value.data()[1] = -5.0f;
  u.value.data()[2] = 0.5f;
  const auto version = u.version;
  rnn.clamp_recurrent_weights();
  BOOST_TEST(u.value.data()[0] == bound);
  BOOST_TEST(u.value.data()[1] == -bound);
  BOOST_TEST(u.value.data()[2] == 0.5f);
  BOOST_TEST(u.version > version);
  // Without a bound, nothing changes.
  nn::IndRNN unbounded({.input_size = I, .hidden_size = 8});
  Parameter& w = *unbounded.find_parameter("weight_hh_l0");
  w.value.data()[0] = 7.0f;
  unbounded.clamp_recurrent_weights();
  BOOST_TEST(w.value.data()[0] == 7.0f);
  BOOST_CHECK_THROW(nn::IndRNN({.input_size = I, .hidden_size = 8, .recurrent_init_min = 1,
                                .recurrent_init_max = 0}),
                    ValueError);
  BOOST_CHECK_THROW(nn::IndRNN({.input_size = I, .hidden_size = 8, .recurrent_max_abs = -1}),
                    ValueError);
}


BOOST_AUTO_TEST_CASE(zoo_layers_refuse_bad_input_naming_the_cell_and_shapes) {
  for (bool scan : {false, true})
    for (const auto& [name, make] : zoo())
      BOOST_TEST_CONTEXT(name << (scan ? " scan" : "")) {
        std::unique_ptr<nn::detail::SequenceLayer> layer = make({});
        auto* min = dynamic_cast<nn::detail::ScanLayer*>(layer.get());
        if (min) min->set_parallel_scan(scan);
        else if (scan) continue;
        Tape tape;
        const auto message_of = [&](const Var& x, const Var& h0) {
          try {
            (*layer)(x, {h0});
          } catch (const ShapeError& error) {
            return std::string(error.what());
          }
          return std::string("no error");
        };
        std::string message = message_of(tape.input(zeros({4, 2, I + 1})), Var());
        BOOST_TEST(message.find(name) != std::string::npos, message);
        BOOST_TEST(message.find("[4, 2, 4]") != std::string::npos, message);
        message = message_of(tape.input(zeros({4, 2, I})), tape.input(zeros({1, 3, H})));
        BOOST_TEST(message.find(name) != std::string::npos, message);
        BOOST_TEST(message.find("[1, 3, 5]") != std::string::npos, message);
      }
}

BOOST_AUTO_TEST_SUITE_END()
