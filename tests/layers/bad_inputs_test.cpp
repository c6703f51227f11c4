// Table-driven hostile input across the public API: every case must throw a recur::Error whose
// message names the layer (or op) and the offending values, and leave every parameter of every
// model bitwise as it was.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "autograd/ops/linalg.hpp"
#include "autograd/ops/losses.hpp"
#include "autograd/ops/nn_ops.hpp"
#include "autograd/ops/reductions.hpp"
#include "autograd/tape.hpp"
#include "core/error.hpp"
#include "core/file_io.hpp"
#include "core/random.hpp"
#include "core/tensor.hpp"
#include "layers/activation.hpp"
#include "layers/cells.hpp"
#include "layers/dropout.hpp"
#include "layers/embedding.hpp"
#include "layers/gru.hpp"
#include "layers/linear.hpp"
#include "layers/loss.hpp"
#include "layers/lstm.hpp"
#include "layers/rnn.hpp"
#include "layers/sequential.hpp"
#include "layers/serialize.hpp"
#include "optim/adam.hpp"
#include "optim/rmsprop.hpp"
#include "optim/sgd.hpp"
#include "core/npz.hpp"
#include "../core/io_support.hpp"

using namespace recur;

namespace {

// The models every case may use: I = 3, H = 4, a two-layer bidirectional LSTM (states [4, B, 4]).
struct Models {
  nn::LSTM lstm{{.input_size = 3, .hidden_size = 4, .num_layers = 2, .bidirectional = true}};
  nn::LSTM lstm_batch_first{{.input_size = 3, .hidden_size = 4, .batch_first = true}};
  nn::GRU gru{{.input_size = 3, .hidden_size = 4}};
  nn::RNN rnn{{.input_size = 3, .hidden_size = 4}};
  nn::LSTMCell lstm_cell{{.input_size = 3, .hidden_size = 4}};
  nn::GRUCell gru_cell{{.input_size = 3, .hidden_size = 4}};
  nn::RNNCell rnn_cell{{.input_size = 3, .hidden_size = 4}};
  Parameter embedding_weight{Generator(1).uniform({10, 4}, -1.0f, 1.0f)};  // 10 tokens
  nn::Linear linear{{.in_features = 3, .out_features = 4}};
  nn::Embedding embedding{{.num_embeddings = 10, .embedding_dim = 4}};
  nn::Sequential mlp;  // Linear(3, 4), Tanh, Linear(5, 2): the second cannot take the first's output
  test::ScratchDir scratch;
  Models() {
    mlp.emplace<nn::Linear>(nn::LinearOptions{.in_features = 3, .out_features = 4});
    mlp.emplace<nn::Tanh>();
    mlp.emplace<nn::Linear>(nn::LinearOptions{.in_features = 5, .out_features = 2});
  }

  std::vector<Parameter*> parameters() {
    std::vector<Parameter*> all{&embedding_weight};
    for (nn::Module* module : std::vector<nn::Module*>{&lstm, &lstm_batch_first, &gru, &rnn,
                                                       &lstm_cell, &gru_cell, &rnn_cell, &linear,
                                                       &embedding, &mlp})
      for (Parameter* parameter : module->parameters()) all.push_back(parameter);
    return all;
  }
};

struct BadInput {
  const char* what;                              // the mistake, for the failure message
  std::vector<const char*> message_parts;        // the error must name all of these
  std::function<void(Models&, Tape&)> run;       // throws
};

Tensor data(const Shape& shape) { return Generator(7).uniform(shape, -1.0f, 1.0f); }
IndexTensor lengths(std::vector<std::int64_t> values) {
  IndexTensor out = xt::zeros<std::int64_t>({values.size()});
  std::copy(values.begin(), values.end(), out.begin());
  return out;
}

std::vector<BadInput> bad_input_table() {
  using M = Models;
  return {
      // --- LSTM [T, B, 3], states [4, B, 4] ---
      {"LSTM unbatched input of the wrong size", {"LSTM", "unbatched", "[5, 4]"},
       [](M& m, Tape& t) { m.lstm(t.input(data({5, 4}))); }},
      {"LSTM unbatched input with 3-D states", {"LSTM", "needs a 2-D", "[4, 1, 4]"},
       [](M& m, Tape& t) {
         m.lstm(t.input(data({5, 3})), {t.input(data({4, 1, 4})), t.input(data({4, 1, 4}))});
       }},
      {"LSTM input of rank 1", {"LSTM", "[5]"},
       [](M& m, Tape& t) { m.lstm(t.input(data({5}))); }},
      {"LSTM input of rank 4", {"LSTM", "[5, 2, 3, 1]"},
       [](M& m, Tape& t) { m.lstm(t.input(data({5, 2, 3, 1}))); }},
      {"LSTM wrong feature size", {"LSTM", "3]", "[5, 2, 4]"},
       [](M& m, Tape& t) { m.lstm(t.input(data({5, 2, 4}))); }},
      {"LSTM empty sequence (T = 0)", {"LSTM", "[0, 2, 3]"},
       [](M& m, Tape& t) { m.lstm(t.input(data({0, 2, 3}))); }},
      {"LSTM empty batch (B = 0)", {"LSTM", "[5, 0, 3]"},
       [](M& m, Tape& t) { m.lstm(t.input(data({5, 0, 3}))); }},
      {"LSTM h0 with too few layers", {"LSTM", "h0", "[4, 2, 4]", "[3, 2, 4]"},
       [](M& m, Tape& t) {
         m.lstm(t.input(data({5, 2, 3})), {t.input(data({3, 2, 4})), t.input(data({4, 2, 4}))});
       }},
      {"LSTM h0 with the wrong batch", {"LSTM", "h0", "[4, 3, 4]"},
       [](M& m, Tape& t) {
         m.lstm(t.input(data({5, 2, 3})), {t.input(data({4, 3, 4})), t.input(data({4, 2, 4}))});
       }},
      {"LSTM h0 with the wrong hidden size", {"LSTM", "h0", "[4, 2, 5]"},
       [](M& m, Tape& t) {
         m.lstm(t.input(data({5, 2, 3})), {t.input(data({4, 2, 5})), t.input(data({4, 2, 4}))});
       }},
      {"LSTM h0 of rank 2", {"LSTM", "h0", "[2, 4]"},
       [](M& m, Tape& t) {
         m.lstm(t.input(data({5, 2, 3})), {t.input(data({2, 4})), t.input(data({4, 2, 4}))});
       }},
      {"LSTM c0 of the wrong shape", {"LSTM", "c0", "[4, 2, 3]"},
       [](M& m, Tape& t) {
         m.lstm(t.input(data({5, 2, 3})), {t.input(data({4, 2, 4})), t.input(data({4, 2, 3}))});
       }},
      {"LSTM h0 without c0", {"LSTM", "h0"},
       [](M& m, Tape& t) { m.lstm(t.input(data({5, 2, 3})), {t.input(data({4, 2, 4})), Var()}); }},
      {"LSTM length longer than the sequence", {"LSTM", "[1, 5]", "6"},
       [](M& m, Tape& t) { m.lstm(t.input(data({5, 2, 3})), lengths({6, 5})); }},
      {"LSTM zero length", {"LSTM", "[1, 5]", "0"},
       [](M& m, Tape& t) { m.lstm(t.input(data({5, 2, 3})), lengths({0, 5})); }},
      {"LSTM negative length", {"LSTM", "-1"},
       [](M& m, Tape& t) { m.lstm(t.input(data({5, 2, 3})), lengths({-1, 5})); }},
      {"LSTM one length for a batch of two", {"LSTM", "lengths", "[1]"},
       [](M& m, Tape& t) { m.lstm(t.input(data({5, 2, 3})), lengths({5})); }},
      {"LSTM lengths of rank 2", {"LSTM", "lengths", "[2, 1]"},
       [](M& m, Tape& t) {
         m.lstm(t.input(data({5, 2, 3})), IndexTensor(xt::ones<std::int64_t>({2, 1})));
       }},
      {"LSTM no lengths at all", {"LSTM", "lengths", "[0]"},
       [](M& m, Tape& t) { m.lstm(t.input(data({5, 2, 3})), lengths({})); }},
      {"LSTM (batch_first) length past T read along axis 1", {"LSTM", "[1, 2]", "5"},
       [](M& m, Tape& t) { m.lstm_batch_first(t.input(data({3, 2, 3})), lengths({5, 1, 1})); }},
      {"LSTM (batch_first) states for a different batch", {"LSTM", "h0", "[1, 3, 4]"},
       [](M& m, Tape& t) {
         m.lstm_batch_first(t.input(data({3, 2, 3})),
                            {t.input(data({1, 2, 4})), t.input(data({1, 2, 4}))});
       }},
      {"LSTM input from a cleared tape", {"cleared"},
       [](M& m, Tape& t) {
         Var stale = t.input(data({5, 2, 3}));
         t.clear();
         m.lstm(stale);
       }},
      {"LSTM state from another tape", {"different tapes"},
       [](M& m, Tape& t) {
         Tape other;
         m.lstm(t.input(data({5, 2, 3})),
                {other.input(data({4, 2, 4})), other.input(data({4, 2, 4}))});
       }},
      // --- GRU and RNN ---
      {"GRU wrong feature size", {"GRU", "[5, 2, 2]"},
       [](M& m, Tape& t) { m.gru(t.input(data({5, 2, 2}))); }},
      {"GRU h0 for another batch", {"GRU", "h0", "[1, 3, 4]"},
       [](M& m, Tape& t) { m.gru(t.input(data({5, 2, 3})), t.input(data({1, 3, 4}))); }},
      {"GRU length past T", {"GRU", "9"},
       [](M& m, Tape& t) { m.gru(t.input(data({5, 2, 3})), lengths({9, 1})); }},
      {"GRU empty batch", {"GRU", "[4, 0, 3]"},
       [](M& m, Tape& t) { m.gru(t.input(data({4, 0, 3}))); }},
      {"RNN wrong feature size", {"RNN", "[5, 2, 7]"},
       [](M& m, Tape& t) { m.rnn(t.input(data({5, 2, 7}))); }},
      {"RNN h0 of rank 2", {"RNN", "h0", "[2, 4]"},
       [](M& m, Tape& t) { m.rnn(t.input(data({5, 2, 3})), t.input(data({2, 4}))); }},
      {"RNN empty sequence", {"RNN", "[0, 1, 3]"},
       [](M& m, Tape& t) { m.rnn(t.input(data({0, 1, 3}))); }},
      {"RNN zero length", {"RNN", "0"},
       [](M& m, Tape& t) { m.rnn(t.input(data({5, 2, 3})), lengths({3, 0})); }},
      // --- cells: x [B, 3], state [B, 4] ---
      {"LSTMCell wrong feature size", {"LSTMCell", "[2, 5]"},
       [](M& m, Tape& t) { m.lstm_cell(t.input(data({2, 5}))); }},
      {"LSTMCell input of rank 3", {"LSTMCell", "[1, 2, 3]"},
       [](M& m, Tape& t) { m.lstm_cell(t.input(data({1, 2, 3}))); }},
      {"LSTMCell h for another batch", {"LSTMCell", "[3, 4]"},
       [](M& m, Tape& t) {
         m.lstm_cell(t.input(data({2, 3})), {t.input(data({3, 4})), t.input(data({2, 4}))});
       }},
      {"LSTMCell c of the wrong size", {"LSTMCell", "[2, 6]"},
       [](M& m, Tape& t) {
         m.lstm_cell(t.input(data({2, 3})), {t.input(data({2, 4})), t.input(data({2, 6}))});
       }},
      {"LSTMCell h without c", {"LSTMCell", "both"},
       [](M& m, Tape& t) { m.lstm_cell(t.input(data({2, 3})), {t.input(data({2, 4})), Var()}); }},
      {"LSTMCell empty batch", {"LSTMCell", "[0, 3]"},
       [](M& m, Tape& t) { m.lstm_cell(t.input(data({0, 3}))); }},
      {"GRUCell wrong feature size", {"GRUCell", "[2, 4]"},
       [](M& m, Tape& t) { m.gru_cell(t.input(data({2, 4}))); }},
      {"GRUCell h of the wrong size", {"GRUCell", "[2, 3]"},
       [](M& m, Tape& t) { m.gru_cell(t.input(data({2, 3})), t.input(data({2, 3}))); }},
      {"RNNCell 1-D input of the wrong size", {"RNNCell", "[4]"},
       [](M& m, Tape& t) { m.rnn_cell(t.input(data({4}))); }},
      {"RNNCell empty batch", {"RNNCell", "[0, 3]"},
       [](M& m, Tape& t) { m.rnn_cell(t.input(data({0, 3}))); }},
      // --- ops where user data enters ---
      {"embedding token past the vocabulary", {"embedding", "10"},
       [](M& m, Tape& t) { embedding(t.parameter(m.embedding_weight), IndexTensor{1, 10, 2}); }},
      {"embedding negative token", {"embedding", "-3"},
       [](M& m, Tape& t) { embedding(t.parameter(m.embedding_weight), IndexTensor{-3}); }},
      {"cross_entropy class past C", {"cross_entropy", "5"},
       [](M&, Tape& t) { cross_entropy(t.input(data({2, 5}), true), IndexTensor{1, 5}); }},
      {"cross_entropy negative class", {"cross_entropy", "-2"},
       [](M&, Tape& t) { cross_entropy(t.input(data({2, 5}), true), IndexTensor{-2, 0}); }},
      {"cross_entropy targets for another batch", {"cross_entropy", "[3]"},
       [](M&, Tape& t) { cross_entropy(t.input(data({2, 5}), true), IndexTensor{0, 1, 2}); }},
      {"cross_entropy logits of rank 3", {"cross_entropy", "[2, 5, 1]"},
       [](M&, Tape& t) { cross_entropy(t.input(data({2, 5, 1}), true), IndexTensor{0, 1}); }},
      {"mse_loss shapes differ", {"mse_loss", "[2, 3]", "[3, 2]"},
       [](M&, Tape& t) { mse_loss(t.input(data({2, 3}), true), t.input(data({3, 2}))); }},
      {"matmul inner sizes differ", {"matmul", "[2, 3]", "[4, 2]"},
       [](M&, Tape& t) { matmul(t.input(data({2, 3})), t.input(data({4, 2}))); }},
      {"backward from a non-scalar", {"backward", "[5, 2, 8]"},
       [](M& m, Tape& t) { t.backward(m.lstm(t.input(data({5, 2, 3}))).output); }},
      {"backward seeded with the wrong shape", {"backward", "[5, 2, 8]", "[5, 2]"},
       [](M& m, Tape& t) { t.backward(m.lstm(t.input(data({5, 2, 3}))).output, data({5, 2})); }},
      // --- basic layers ---
      {"Linear input with the wrong last axis", {"Linear", "[2, 5]", "3"},
       [](M& m, Tape& t) { m.linear(t.input(data({2, 5}))); }},
      {"Linear 0-d input", {"Linear", "in_features"},
       [](M& m, Tape& t) { m.linear(t.input(Tensor(1.0f))); }},
      {"Sequential whose second Linear does not fit the first", {"Linear", "[2, 4]", "5"},
       [](M& m, Tape& t) { m.mlp(t.input(data({2, 3}))); }},
      {"Sequential index past its modules", {"Sequential", "index 3", "3 modules"},
       [](M& m, Tape&) { m.mlp[3]; }},
      {"Embedding token past the vocabulary", {"mbedding", "12"},
       [](M& m, Tape& t) { m.embedding(t, IndexTensor{{1, 2}, {12, 0}}); }},
      {"Embedding negative token", {"mbedding", "-1"},
       [](M& m, Tape& t) { m.embedding(t, IndexTensor{-1}); }},
      {"CrossEntropyLoss class past C", {"cross_entropy", "7"},
       [](M&, Tape& t) { nn::CrossEntropyLoss()(t.input(data({2, 5}), true), IndexTensor{7, 0}); }},
      {"MSELoss shapes differ", {"mse_loss", "[4]", "[2, 2]"},
       [](M&, Tape& t) { nn::MSELoss()(t.input(data({4}), true), t.input(data({2, 2}))); }},
      // --- optimiser accessors: a bad index is a recur::Error, not std::out_of_range ---
      {"optimiser options of a group that does not exist", {"SGD.options", "group 1", "1 groups"},
       [](M& m, Tape&) { optim::SGD(m.linear.parameters(), {.lr = 0.1}).options(1); }},
      {"optimiser set_lr of a group that does not exist", {"Adam.set_lr", "group 4", "1 groups"},
       [](M& m, Tape&) { optim::Adam(m.linear.parameters()).set_lr(4, 0.5); }},
      {"optimiser state of a parameter that does not exist",
       {"Adam.state", "parameter 2", "2 parameters"},
       [](M& m, Tape&) { optim::Adam(m.linear.parameters()).state(2); }},
      {"optimiser group_of a parameter that does not exist", {"RMSprop.group_of", "parameter 9"},
       [](M& m, Tape&) { optim::RMSprop(m.linear.parameters()).group_of(9); }},
      // --- loading weights: all or nothing ---
      {"load a checkpoint of a larger LSTM", {"load", "weight_ih_l0", "[20, 3]", "[16, 3]"},
       [](M& m, Tape&) {
         nn::LSTM bigger({.input_size = 3, .hidden_size = 5, .num_layers = 2, .bidirectional = true});
         nn::save(bigger, m.scratch.file("bigger.npz"));
         nn::load(m.lstm, m.scratch.file("bigger.npz"));
       }},
      {"load a file that does not exist", {"missing.npz"},
       [](M& m, Tape&) { nn::load(m.gru, m.scratch.file("missing.npz")); }},
      {"load a truncated file", {"truncated.npz"},
       [](M& m, Tape&) {
         nn::save(m.rnn, m.scratch.file("whole.npz"));
         const auto bytes = read_file(m.scratch.file("whole.npz"), "test");
         write_file_atomic(m.scratch.file("truncated.npz"),
                           std::span(bytes.data(), bytes.size() / 2), "test");
         nn::load(m.rnn, m.scratch.file("truncated.npz"));
       }},
      {"load float64 weights", {"load", "float64"},
       [](M& m, Tape&) {
         NpzEntries entries = nn::state_dict(m.linear);
         for (auto& [name, array] : entries) {
           NpyArray wide{.dtype = DType::float64, .shape = array.shape,
                         .bytes = std::vector<unsigned char>(array.numel() * 8, 0)};
           array = wide;
         }
         save_npz(m.scratch.file("f64.npz"), entries);
         nn::load(m.linear, m.scratch.file("f64.npz"));
       }},
      // --- options ---
      {"LSTM hidden_size 0", {"LSTM", "hidden_size"},
       [](M&, Tape&) { nn::LSTM bad({.input_size = 3, .hidden_size = 0}); }},
      {"GRU dropout 1.5", {"GRU", "dropout", "1.5"},
       [](M&, Tape&) { nn::GRU bad({.input_size = 3, .hidden_size = 4, .dropout = 1.5f}); }},
      {"LSTM proj_size not below hidden_size", {"LSTM", "proj_size", "4"},
       [](M&, Tape&) { nn::LSTM bad({.input_size = 3, .hidden_size = 4, .proj_size = 4}); }},
      {"RNNCell input_size 0", {"RNNCell", "input_size"},
       [](M&, Tape&) { nn::RNNCell bad({.input_size = 0, .hidden_size = 4}); }},
      {"Linear out_features 0", {"Linear", "out_features = 0"},
       [](M&, Tape&) { nn::Linear bad({.in_features = 3, .out_features = 0}); }},
      {"Embedding padding_idx past the table", {"Embedding", "padding_idx", "10"},
       [](M&, Tape&) {
         nn::Embedding bad({.num_embeddings = 10, .embedding_dim = 2, .padding_idx = 10});
       }},
      {"Dropout p = 1", {"Dropout", "p"}, [](M&, Tape&) { nn::Dropout bad({.p = 1.0f}); }},
  };
}

std::vector<std::vector<std::uint32_t>> snapshot(Models& models) {
  std::vector<std::vector<std::uint32_t>> bits;
  for (Parameter* parameter : models.parameters()) {
    std::vector<std::uint32_t> values;
    for (float value : parameter->value) values.push_back(std::bit_cast<std::uint32_t>(value));
    bits.push_back(std::move(values));
  }
  return bits;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(bad_inputs)

BOOST_AUTO_TEST_CASE(every_bad_input_throws_a_named_error_and_changes_no_parameter) {
  manual_seed(3);
  Models models;
  const auto before = snapshot(models);
  const std::vector<BadInput> cases = bad_input_table();
  BOOST_TEST(cases.size() >= 40u);
  for (const BadInput& bad : cases) {
    BOOST_TEST_CONTEXT("case: " << bad.what) {
      Tape tape;
      std::string message;
      try {
        bad.run(models, tape);
      } catch (const Error& error) {
        message = error.what();
      } catch (const std::exception& error) {
        BOOST_ERROR("threw a non-recur exception: " << error.what());
        continue;
      }
      BOOST_TEST(!message.empty(), "no recur::Error was thrown");
      for (const char* part : bad.message_parts)
        BOOST_TEST(message.find(part) != std::string::npos,
                   "'" << part << "' missing from: " << message);
      BOOST_TEST((snapshot(models) == before), "a parameter changed");
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
