// Parity of an op with PyTorch through a fixture of tests/fixtures/gen_ops.py: the op runs on
// the fixture's inputs, its value must match torch's, and after backward from the fixture's
// random projection of the output, so must the gradient of every float input; within 1e-4
// relative, 1e-5 absolute, as the layers' parity suite. Fixtures are read from
// $RECUR_FIXTURE_DIR/ops/ when that is set, else from tests/fixtures/ops/.
#pragma once

#include <boost/test/unit_test.hpp>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <string>

#include "autograd/tape.hpp"
#include "core/npz.hpp"
#include "support/fixtures.hpp"

namespace recur::test {

inline std::string ops_fixture_dir() { return fixture_dir("ops").string(); }

/// One fixture's entries, and the Vars made from its inputs on a tape.
class OpFixture {
 public:
  OpFixture(const std::string& name, Tape& tape) : name_(name), tape_(tape) {
    for (auto& [key, array] : load_npz(ops_fixture_dir() + "/" + name + ".npz"))
      entries_.emplace(key, std::move(array));
  }
  /// input.<name> as a Var that wants a gradient (the same Var on every call).
  Var var(const std::string& key) {
    const auto found = vars_.find(key);
    if (found != vars_.end()) return found->second;
    return vars_.emplace(key, tape_.input(tensor("input." + key), true)).first->second;
  }
  /// const.<name> recorded on the tape as a Var that wants no gradient.
  Var constant_var(const std::string& key) { return tape_.input(constant(key)); }
  /// const.<name>, a constant tensor.
  Tensor constant(const std::string& key) const { return tensor("const." + key); }
  /// index.<name>, an integer tensor.
  IndexTensor index(const std::string& key) const { return at("index." + key).to_index_tensor(); }
  Tensor tensor(const std::string& key) const { return at(key).to_tensor(); }
  bool has(const std::string& key) const { return entries_.count(key) != 0; }
  const std::map<std::string, Var>& vars() const { return vars_; }
  const std::string& name() const { return name_; }
  /// The names of the fixture's float inputs.
  std::set<std::string> input_names() const {
    std::set<std::string> names;
    for (const auto& [key, array] : entries_)
      if (key.rfind("input.", 0) == 0) names.insert(key.substr(6));
    return names;
  }

 private:
  const NpyArray& at(const std::string& key) const {
    const auto found = entries_.find(key);
    if (found == entries_.end())
      throw std::runtime_error(name_ + ".npz has no entry '" + key + "'");
    return found->second;
  }
  std::string name_;
  Tape& tape_;
  std::map<std::string, NpyArray> entries_;
  std::map<std::string, Var> vars_;
};

/// Checks ours against torch's within 1e-4 relative, 1e-5 absolute; NaN must match NaN.
inline void expect_matches_torch(const std::string& label, const Tensor& ours,
                                 const Tensor& theirs) {
  BOOST_TEST_REQUIRE(ours.shape() == theirs.shape(), label << ": shape " << shape_str(ours.shape())
                                                           << " != torch's "
                                                           << shape_str(theirs.shape()));
  double worst = 0.0;
  std::size_t worst_index = 0;
  for (std::size_t i = 0; i < ours.size(); ++i) {
    const double a = ours.data()[i], e = theirs.data()[i];
    double excess = 0.0;
    if (std::isnan(e) || std::isnan(a))
      excess = std::isnan(e) && std::isnan(a) ? 0.0 : 1e30;
    else if (std::isinf(e) || std::isinf(a))
      excess = a == e ? 0.0 : 1e30;
    else
      excess = std::abs(a - e) / (1e-4 * std::abs(e) + 1e-5);
    if (excess > worst) {
      worst = excess;
      worst_index = i;
    }
  }
  BOOST_TEST(worst <= 1.0, label << ": element " << worst_index << " is "
                                 << ours.data()[worst_index] << ", torch says "
                                 << theirs.data()[worst_index]);
}

/// Runs `op` on the fixture `name` and checks its value, extras and every input's gradient.
/// `extras` returns further results (argmax's indices) to compare with extra.<name>.
inline void check_parity(
    const std::string& name, const std::function<Var(OpFixture&)>& op,
    const std::function<std::map<std::string, Tensor>(OpFixture&)>& extras = nullptr) {
  BOOST_TEST_CONTEXT("fixture " << name) {
    Tape tape;
    OpFixture fixture(name, tape);
    const Var output = op(fixture);
    expect_matches_torch(name + ": output", output.value(), fixture.tensor("output"));
    if (extras)
      for (const auto& [key, value] : extras(fixture))
        expect_matches_torch(name + ": " + key, value, fixture.tensor("extra." + key));
    std::set<std::string> used;
    for (const auto& [key, var] : fixture.vars()) used.insert(key);
    BOOST_TEST((used == fixture.input_names()), name << ": the op must use every float input");
    tape.backward(output, fixture.tensor("proj"));
    for (const auto& [key, var] : fixture.vars())
      expect_matches_torch(name + ": grad." + key, var.grad(), fixture.tensor("grad." + key));
  }
}

/// The names of the fixtures in the ops folder.
inline std::set<std::string> ops_fixture_names() {
  std::set<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(ops_fixture_dir()))
    if (entry.path().extension() == ".npz") names.insert(entry.path().stem().string());
  return names;
}

}  // namespace recur::test
