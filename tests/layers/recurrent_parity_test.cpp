// Parity of RNN, LSTM, GRU and their cells with PyTorch: every fixture written by
// tests/fixtures/generate.py (torch in float64) is loaded into our layer, which must reproduce
// the outputs, final states and the gradients of every parameter, the input and the initial
// states within 1e-4 relative (absolute floor 1e-5). The fixtures are read from
// $RECUR_FIXTURE_DIR/layers/ when that is set, else from tests/fixtures/layers/.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <memory>
#include <sstream>
#include <string>

#include "autograd/ops/elementwise.hpp"
#include "autograd/ops/reductions.hpp"
#include "autograd/tape.hpp"
#include "core/npz.hpp"
#include "layers/gru.hpp"
#include "layers/lstm.hpp"
#include "layers/rnn.hpp"

using namespace recur;

namespace {

constexpr double kRelative = 1e-4, kAbsolute = 1e-5;

// The worst errors over every fixture, reported by the last test case.
struct WorstSeen {
  double relative = 0.0;   // |ours - torch| / |torch|, over elements with |torch| >= 1e-3
  double tolerance = 0.0;  // |ours - torch| / (1e-4 |torch| + 1e-5); <= 1 passes
  std::string where;
  int fixtures = 0;
} worst;

std::string fixture_dir() {
  if (const char* dir = std::getenv("RECUR_FIXTURE_DIR"); dir != nullptr && *dir != '\0')
    return dir;
  return std::string(RECUR_SOURCE_DIR) + "/tests/fixtures";
}

class Fixture {
 public:
  explicit Fixture(const std::string& name) : name_(name) {
    for (auto& [key, array] : load_npz(fixture_dir() + "/layers/" + name + ".npz"))
      entries_.emplace(key, std::move(array));
  }
  bool has(const std::string& key) const { return entries_.count(key) != 0; }
  Tensor tensor(const std::string& key) const { return at(key).to_tensor(); }
  IndexTensor index(const std::string& key) const { return at(key).to_index_tensor(); }
  std::int64_t config(const std::string& key) const { return index("config." + key).data()[0]; }
  std::size_t size(const std::string& key) const { return static_cast<std::size_t>(config(key)); }
  std::size_t count_prefix(const std::string& prefix) const {
    return static_cast<std::size_t>(std::count_if(entries_.begin(), entries_.end(), [&](auto& e) {
      return e.first.rfind(prefix, 0) == 0;
    }));
  }
  const std::string& name() const { return name_; }

 private:
  const NpyArray& at(const std::string& key) const {
    const auto found = entries_.find(key);
    if (found == entries_.end())
      throw std::runtime_error(name_ + ".npz has no entry '" + key + "'");
    return found->second;
  }
  std::string name_;
  std::map<std::string, NpyArray> entries_;
};

// Checks ours against torch's and updates the worst errors seen.
void expect_close(const Fixture& fixture, const std::string& what, const Tensor& ours,
                  const Tensor& theirs) {
  const std::string label = fixture.name() + ": " + what;
  BOOST_TEST_REQUIRE(ours.shape() == theirs.shape(),
                     label << ": shape " << shape_str(ours.shape()) << " != torch's "
                           << shape_str(theirs.shape()));
  double worst_tolerance = 0.0;
  std::size_t worst_index = 0;
  for (std::size_t i = 0; i < ours.size(); ++i) {
    const double a = ours.data()[i], e = theirs.data()[i], error = std::abs(a - e);
    const double tolerance = std::isfinite(a) ? error / (kRelative * std::abs(e) + kAbsolute) : 1e30;
    if (tolerance > worst_tolerance) {
      worst_tolerance = tolerance;
      worst_index = i;
    }
    if (std::abs(e) >= 1e-3 && error / std::abs(e) > worst.relative) {
      worst.relative = error / std::abs(e);
      worst.where = label;
    }
  }
  worst.tolerance = std::max(worst.tolerance, worst_tolerance);
  BOOST_TEST(worst_tolerance <= 1.0, label << ": element " << worst_index << " is "
                                           << ours.data()[worst_index] << ", torch says "
                                           << theirs.data()[worst_index]);
}

// The layer a fixture describes, with a uniform way to run it.
struct Subject {
  std::unique_ptr<nn::Module> module;
  // Runs the layer; returns the results by fixture name (output, h_n, c_n).
  std::function<std::map<std::string, Var>(const Var& x, const Var& h0, const Var& c0,
                                           const IndexTensor* lengths)>
      run;
};

template <class Layer, class Options>
Subject sequence_subject(const Options& options) {
  auto layer = std::make_unique<Layer>(options);
  Layer* raw = layer.get();
  Subject subject{std::move(layer), {}};
  subject.run = [raw](const Var& x, const Var& h0, const Var& c0, const IndexTensor* lengths) {
    std::map<std::string, Var> results;
    if constexpr (std::is_same_v<Layer, nn::LSTM>) {
      const nn::LSTMState state{h0, c0};
      const nn::LSTMResult out = lengths ? raw->forward(x, *lengths, state) : raw->forward(x, state);
      results = {{"output", out.output}, {"h_n", out.state.h}, {"c_n", out.state.c}};
    } else {
      const nn::RNNResult out = lengths ? raw->forward(x, *lengths, h0) : raw->forward(x, h0);
      results = {{"output", out.output}, {"h_n", out.h_n}};
    }
    return results;
  };
  return subject;
}

template <class Cell, class Options>
Subject cell_subject(const Options& options) {
  auto cell = std::make_unique<Cell>(options);
  Cell* raw = cell.get();
  Subject subject{std::move(cell), {}};
  subject.run = [raw](const Var& x, const Var& h0, const Var& c0, const IndexTensor*) {
    std::map<std::string, Var> results;
    if constexpr (std::is_same_v<Cell, nn::LSTMCell>) {
      const nn::LSTMState state = raw->forward(x, {h0, c0});
      results = {{"h_n", state.h}, {"c_n", state.c}};
    } else {
      results = {{"h_n", raw->forward(x, h0)}};
    }
    return results;
  };
  return subject;
}

Subject make_subject(const Fixture& f) {
  const std::int64_t mode = f.config("mode");  // 0 RNN tanh, 1 RNN relu, 2 LSTM, 3 GRU
  const std::size_t in = f.size("input_size"), hidden = f.size("hidden_size");
  const bool bias = f.config("bias") != 0;
  const nn::Nonlinearity act = mode == 1 ? nn::Nonlinearity::relu : nn::Nonlinearity::tanh;
  if (f.config("cell") != 0) {
    if (mode <= 1)
      return cell_subject<nn::RNNCell>(nn::RNNCellOptions{
          .input_size = in, .hidden_size = hidden, .bias = bias, .nonlinearity = act});
    if (mode == 2)
      return cell_subject<nn::LSTMCell>(
          nn::LSTMCellOptions{.input_size = in, .hidden_size = hidden, .bias = bias});
    return cell_subject<nn::GRUCell>(
        nn::GRUCellOptions{.input_size = in, .hidden_size = hidden, .bias = bias});
  }
  const std::size_t layers = f.size("num_layers");
  const bool batch_first = f.config("batch_first") != 0, bi = f.config("bidirectional") != 0;
  if (mode <= 1)
    return sequence_subject<nn::RNN>(nn::RNNOptions{
        .input_size = in, .hidden_size = hidden, .num_layers = layers, .nonlinearity = act,
        .bias = bias, .batch_first = batch_first, .bidirectional = bi});
  if (mode == 2)
    return sequence_subject<nn::LSTM>(nn::LSTMOptions{
        .input_size = in, .hidden_size = hidden, .num_layers = layers, .bias = bias,
        .batch_first = batch_first, .bidirectional = bi, .proj_size = f.size("proj_size")});
  return sequence_subject<nn::GRU>(nn::GRUOptions{
      .input_size = in, .hidden_size = hidden, .num_layers = layers, .bias = bias,
      .batch_first = batch_first, .bidirectional = bi});
}

void check_parity(const std::string& name) {
  const Fixture fixture(name);
  Subject subject = make_subject(fixture);
  // Our parameter names must be exactly torch's: each one has an entry, and no entry is left.
  const auto parameters = subject.module->named_parameters();
  BOOST_TEST(parameters.size() == fixture.count_prefix("param."),
             name << ": we have " << parameters.size() << " parameters, torch has "
                  << fixture.count_prefix("param."));
  for (auto& [param_name, parameter] : parameters) {
    BOOST_TEST_REQUIRE(fixture.has("param." + param_name),
                       name << ": torch has no parameter named " << param_name);
    const Tensor value = fixture.tensor("param." + param_name);
    BOOST_TEST_REQUIRE(parameter->value.shape() == value.shape(),
                       name << ": " << param_name << " is " << shape_str(parameter->value.shape())
                            << ", torch's is " << shape_str(value.shape()));
    parameter->value = value;
    parameter->bump_version();
  }
  subject.module->zero_grad();

  Tape tape;
  const Var x = tape.input(fixture.tensor("input"), true);
  const Var h0 = fixture.has("h0") ? tape.input(fixture.tensor("h0"), true) : Var();
  const Var c0 = fixture.has("c0") ? tape.input(fixture.tensor("c0"), true) : Var();
  IndexTensor lengths;
  if (fixture.has("lengths")) lengths = fixture.index("lengths");
  const auto results = subject.run(x, h0, c0, fixture.has("lengths") ? &lengths : nullptr);

  // loss = sum over results of sum(result * proj.result), torch's scalar.
  Var loss;
  for (const auto& [key, result] : results) {
    if (!fixture.has(key)) continue;
    expect_close(fixture, key, result.value(), fixture.tensor(key));
    const Var term = sum(mul(result, tape.input(fixture.tensor("proj." + key))));
    loss = loss.defined() ? add(loss, term) : term;
  }
  tape.backward(loss);
  for (auto& [param_name, parameter] : parameters)
    expect_close(fixture, "grad." + param_name, parameter->grad,
                 fixture.tensor("grad." + param_name));
  expect_close(fixture, "grad.input", x.grad(), fixture.tensor("grad.input"));
  if (h0.defined()) expect_close(fixture, "grad.h0", h0.grad(), fixture.tensor("grad.h0"));
  if (c0.defined()) expect_close(fixture, "grad.c0", c0.grad(), fixture.tensor("grad.c0"));
  ++worst.fixtures;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(recurrent_parity_with_pytorch)

#define RECUR_PARITY_CASE(fixture) \
  BOOST_AUTO_TEST_CASE(fixture##_matches_pytorch) { check_parity(#fixture); }

#define RECUR_PARITY_CASES_FOR(mode)                    \
  RECUR_PARITY_CASE(mode##_one_layer)                   \
  RECUR_PARITY_CASE(mode##_two_layers)                  \
  RECUR_PARITY_CASE(mode##_bidirectional)               \
  RECUR_PARITY_CASE(mode##_two_layers_bidirectional)    \
  RECUR_PARITY_CASE(mode##_batch_first)                 \
  RECUR_PARITY_CASE(mode##_no_bias)                     \
  RECUR_PARITY_CASE(mode##_initial_state)               \
  RECUR_PARITY_CASE(mode##_lengths)                     \
  RECUR_PARITY_CASE(mode##_lengths_bidirectional_two_layers) \
  RECUR_PARITY_CASE(mode##_everything)                  \
  RECUR_PARITY_CASE(mode##_cell)                        \
  RECUR_PARITY_CASE(mode##_cell_no_bias_no_state)

RECUR_PARITY_CASES_FOR(rnn_tanh)
RECUR_PARITY_CASES_FOR(rnn_relu)
RECUR_PARITY_CASES_FOR(lstm)
RECUR_PARITY_CASES_FOR(gru)
RECUR_PARITY_CASE(lstm_proj)
RECUR_PARITY_CASE(lstm_proj_two_layers_bidirectional_state)
RECUR_PARITY_CASE(lstm_proj_lengths_batch_first)

// Runs last (Boost keeps declaration order): says how close the closest call was.
BOOST_AUTO_TEST_CASE(worst_error_over_all_fixtures_is_reported) {
  BOOST_TEST_MESSAGE("parity with PyTorch over " << worst.fixtures << " fixtures from "
                     << fixture_dir() << ": worst relative error " << worst.relative << " ("
                     << worst.where << "), worst error / tolerance " << worst.tolerance);
  BOOST_TEST(worst.tolerance <= 1.0);
}

BOOST_AUTO_TEST_SUITE_END()
