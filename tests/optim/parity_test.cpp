// Every optimiser (with clipping and parameter groups) against torch.optim's trajectories on a
// small LSTM model, written by tests/fixtures/gen_optim.py: the weights after each of 20 steps
// must match within 1e-4 relative (1e-5 absolute floor). RECUR_FIXTURE_DIR points at
// regenerated fixtures.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <memory>
#include <set>

#include "autograd/ops/elementwise.hpp"
#include "autograd/ops/linalg.hpp"
#include "autograd/ops/losses.hpp"
#include "autograd/ops/shape_ops.hpp"
#include "autograd/tape.hpp"
#include "layers/lstm.hpp"
#include "support/fixtures.hpp"
#include "optim/adagrad.hpp"
#include "optim/adam.hpp"
#include "optim/clip.hpp"
#include "optim/rmsprop.hpp"
#include "optim/sgd.hpp"
#include "support/check.hpp"

using namespace recur;
using namespace recur::optim;
using recur::test::entry;

namespace {

constexpr double kRelativeTolerance = 1e-4, kAbsoluteTolerance = 1e-5;

// gen_optim.py's Model: nn::LSTM over x [T, B, I], then a linear head on the last output. It
// is built from the fixture's initial parameters (by torch name).
struct Model {
  std::unique_ptr<nn::LSTM> lstm_layer;
  std::unique_ptr<Parameter> head_weight, head_bias;
  std::map<std::string, Parameter*> params;  // every parameter by torch name

  Model(const std::map<std::string, NpyArray>& entries, const std::string& file) {
    const Tensor w_ih = entry(entries, "init.lstm.weight_ih_l0", file).to_tensor();
    lstm_layer = std::make_unique<nn::LSTM>(
        nn::LSTMOptions{.input_size = w_ih.shape()[1], .hidden_size = w_ih.shape()[0] / 4});
    for (const auto& [name, parameter] : lstm_layer->named_parameters()) {
      parameter->value = entry(entries, "init.lstm." + name, file).to_tensor();
      params["lstm." + name] = parameter;
    }
    head_weight = std::make_unique<Parameter>(entry(entries, "init.head.weight", file).to_tensor());
    head_bias = std::make_unique<Parameter>(entry(entries, "init.head.bias", file).to_tensor());
    params["head.weight"] = head_weight.get();
    params["head.bias"] = head_bias.get();
  }
  std::vector<Parameter*> lstm() { return lstm_layer->parameters(); }
  std::vector<Parameter*> head() { return {head_weight.get(), head_bias.get()}; }
  std::vector<Parameter*> all() {
    std::vector<Parameter*> out = lstm();
    for (Parameter* p : head()) out.push_back(p);
    return out;
  }
  // x: [T, B, I], y: [B, O]; the loss is 0.5 * sum((head(h_T) - y)^2) / B, as loss_fn.
  Var loss(Tape& tape, const Tensor& x, const Tensor& y) {
    const Var output = (*lstm_layer)(tape.input(x)).output;  // [T, B, H]
    const Var last = select(output, 0, x.shape()[0] - 1);
    const Var out = linear(last, tape.parameter(*head_weight), tape.parameter(*head_bias));
    return mse_loss(out, tape.input(y), Reduction::sum) * static_cast<float>(0.5 / x.shape()[1]);
  }
};

// The numbers stored under `prefix.` in a fixture, consumed field by field into an options
// struct; anything left over is an option this test does not know, which fails the test.
class OptionReader {
 public:
  OptionReader(const std::map<std::string, NpyArray>& entries, const std::string& prefix,
               std::string file)
      : file_(std::move(file)) {
    for (const auto& [name, array] : entries)
      if (name.rfind(prefix + ".", 0) == 0)
        values_[name.substr(prefix.size() + 1)] = recur::test::as_doubles(array).at(0);
  }
  bool empty() const { return values_.empty(); }
  bool has(const std::string& name) const { return values_.count(name) != 0; }
  template <class Field>
  void read(const std::string& name, Field& field) {
    const auto found = values_.find(name);
    if (found == values_.end()) return;
    field = static_cast<Field>(found->second);
    values_.erase(found);
  }
  void done() {
    for (const auto& [name, value] : values_) BOOST_FAIL(file_ + ": option '" + name + "' is not handled");
  }

 private:
  std::string file_;
  std::map<std::string, double> values_;
};

template <class Options>
void read_common(OptionReader& reader, Options& options) {
  reader.read("lr", options.lr);
  reader.read("weight_decay", options.weight_decay);
}

template <class OptimizerType, class Options>
std::unique_ptr<Optimizer> build(const Options& options, Model& model, OptionReader& group1) {
  if (group1.empty()) return std::make_unique<OptimizerType>(model.all(), options);
  ParamGroup head{.params = model.head()};
  if (group1.has("lr")) group1.read("lr", head.lr.emplace());
  if (group1.has("weight_decay")) group1.read("weight_decay", head.weight_decay.emplace());
  group1.done();
  return std::make_unique<OptimizerType>(std::vector<ParamGroup>{{.params = model.lstm()}, head}, options);
}

// The optimiser a fixture describes: the kind is the file name up to "__".
std::unique_ptr<Optimizer> make_optimizer(const std::string& kind, OptionReader& option,
                                          OptionReader& group1, Model& model) {
  std::unique_ptr<Optimizer> optimizer;
  if (kind == "sgd") {
    SGDOptions o;
    read_common(option, o);
    option.read("momentum", o.momentum);
    option.read("dampening", o.dampening);
    option.read("nesterov", o.nesterov);
    optimizer = build<SGD>(o, model, group1);
  } else if (kind == "adam" || kind == "adamw") {
    AdamWOptions o;  // the same fields as AdamOptions
    if (kind == "adam") o.weight_decay = 0;
    read_common(option, o);
    option.read("beta1", o.betas[0]);
    option.read("beta2", o.betas[1]);
    option.read("eps", o.eps);
    option.read("amsgrad", o.amsgrad);
    if (kind == "adamw")
      optimizer = build<AdamW>(o, model, group1);
    else
      optimizer = build<Adam>(AdamOptions{o.lr, o.betas, o.eps, o.weight_decay, o.amsgrad}, model, group1);
  } else if (kind == "rmsprop") {
    RMSpropOptions o;
    read_common(option, o);
    option.read("alpha", o.alpha);
    option.read("eps", o.eps);
    option.read("momentum", o.momentum);
    option.read("centered", o.centered);
    optimizer = build<RMSprop>(o, model, group1);
  } else if (kind == "adagrad") {
    AdagradOptions o;
    read_common(option, o);
    option.read("lr_decay", o.lr_decay);
    option.read("initial_accumulator_value", o.initial_accumulator_value);
    option.read("eps", o.eps);
    optimizer = build<Adagrad>(o, model, group1);
  } else {
    BOOST_FAIL("unknown optimiser kind '" + kind + "'");
  }
  option.done();
  return optimizer;
}

// The largest |ours - torch| / max(|torch|, atol/rtol) over a tensor: <= rtol means it passes.
double relative_error(const Tensor& ours, const Tensor& torch) {
  double worst = 0;
  for (std::size_t i = 0; i < ours.size(); ++i) {
    const double expected = torch.data()[i];
    const double scale = std::max(std::abs(expected), kAbsoluteTolerance / kRelativeTolerance);
    worst = std::max(worst, std::abs(ours.data()[i] - expected) / scale);
  }
  return worst;
}

// Trains the fixture's model with the fixture's optimiser and compares every step; returns the
// worst relative error seen.
double check_trajectory(const std::filesystem::path& path) {
  const std::string file = path.filename().string();
  const auto entries = recur::test::load_npz_map(path);
  Model model(entries, file);
  BOOST_REQUIRE_MESSAGE(model.params.size() == 6, file + ": expected the 6 parameters of gen_optim.py's model");

  OptionReader option(entries, "option", file), group1(entries, "group1", file), clip(entries, "clip", file);
  const std::string kind = file.substr(0, std::min(file.find("__"), file.find(".npz")));
  std::unique_ptr<Optimizer> optimizer = make_optimizer(kind, option, group1, model);
  double max_norm = 0, norm_type = 2, clip_value = -1;
  clip.read("max_norm", max_norm);
  clip.read("norm_type", norm_type);
  clip.read("value", clip_value);
  clip.done();

  const Tensor xs = entry(entries, "x", file).to_tensor(), ys = entry(entries, "y", file).to_tensor();
  const std::vector<double> losses = recur::test::as_doubles(entry(entries, "loss", file));
  std::vector<double> norms;
  if (max_norm > 0) norms = recur::test::as_doubles(entry(entries, "total_norm", file));
  std::map<std::string, Tensor> after;
  for (const auto& [name, parameter] : model.params) after[name] = entry(entries, "after." + name, file).to_tensor();
  double worst = 0;
  Tape tape;
  for (std::size_t step = 0; step < losses.size(); ++step) {
    tape.clear();
    optimizer->zero_grad();
    const Var loss = model.loss(tape, xt::view(xs, step), xt::view(ys, step));
    BOOST_TEST(static_cast<double>(loss.value()()) == losses[step], boost::test_tools::tolerance(1e-5));
    tape.backward(loss);
    if (max_norm > 0) {
      const double norm = clip_grad_norm(model.all(), max_norm, norm_type);
      BOOST_TEST(norm == norms[step], boost::test_tools::tolerance(1e-5));
    } else if (clip_value >= 0) {
      clip_grad_value(model.all(), clip_value);
    }
    optimizer->step();
    for (auto& [name, parameter] : model.params) {
      const Tensor expected = xt::view(after.at(name), step);
      const std::string difference = recur::test::compare(parameter->value, expected, kRelativeTolerance, kAbsoluteTolerance);
      BOOST_TEST(difference.empty(), file << " step " << step + 1 << " " << name << ": " << difference);
      worst = std::max(worst, relative_error(parameter->value, expected));
    }
  }
  return worst;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(parity)

BOOST_AUTO_TEST_CASE(every_optimizer_follows_its_pytorch_trajectory_for_20_steps) {
  const std::filesystem::path folder = recur::test::fixture_dir("optim");
  std::set<std::string> kinds_seen;
  double worst = 0;
  std::string worst_file;
  for (const auto& item : std::filesystem::directory_iterator(folder)) {
    const std::string file = item.path().filename().string();
    if (item.path().extension() != ".npz" || file == "schedules.npz") continue;
    BOOST_TEST_CONTEXT(file) {
      const double error = check_trajectory(item.path());
      BOOST_TEST_MESSAGE(file << ": worst relative error " << error);
      kinds_seen.insert(file.substr(0, std::min(file.find("__"), file.find(".npz"))));
      if (error >= worst) {
        worst = error;
        worst_file = file;
      }
    }
  }
  BOOST_TEST_MESSAGE("worst relative error over all trajectories: " << worst << " (" << worst_file << ")");
  // Guards against an empty or partial fixture folder passing vacuously.
  BOOST_TEST((kinds_seen == std::set<std::string>{"adagrad", "adam", "adamw", "rmsprop", "sgd"}),
             "fixture folder " << folder << " lacks some optimisers");
}

BOOST_AUTO_TEST_SUITE_END()
