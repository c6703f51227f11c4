// A checkpoint whose names, types and shapes fit but whose values no run holds (a NaN or
// negative learning rate, a step count beyond int64 or not a whole number) is refused with
// recur::IoError naming the entry, and changes nothing. Regression tests for what converting
// such values did before (undefined behaviour: a NaN schedule count cast to int64, a step count
// wrapping negative or overflowing on the next step), found while fuzzing load_checkpoint.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/npz.hpp"
#include "layers/module.hpp"
#include "optim/adam.hpp"
#include "optim/checkpoint.hpp"
#include "optim/schedule.hpp"
#include "support/scratch_dir.hpp"

using namespace recur;
using namespace recur::optim;

namespace {

struct Model : nn::Module {
  Parameter& weight = register_parameter("weight", Tensor{{1.0f, 2.0f}, {3.0f, 4.0f}});
  Parameter& bias = register_parameter("bias", Tensor{0.5f, -0.5f});
};

// A model, Adam in two groups, StepLR and ReduceLROnPlateau, after two steps.
struct Run {
  Model model;
  Adam adam{{{.params = {&model.weight}}, {.params = {&model.bias}, .lr = 3e-2}}, {.lr = 1e-2}};
  StepLR decay{adam, {.step_size = 2, .gamma = 0.5}};
  ReduceLROnPlateau plateau{adam, {.factor = 0.5, .patience = 1}};

  Run() {
    step(1.0);
    step(2.0);
  }
  CheckpointParts parts() { return {.model = &model, .optimizer = &adam, .schedules = {&decay, &plateau}}; }
  void step(double metric) {
    model.weight.grad = Tensor{{0.1f, -0.2f}, {0.3f, -0.4f}};
    model.bias.grad = Tensor{0.25f, -0.75f};
    adam.step();
    decay.step();
    plateau.step(metric);
  }
  // Everything a checkpoint restores, printed exactly, to compare before and after a load.
  std::string fingerprint() const {
    std::string out;
    const auto add = [&out](const void* data, std::size_t size) {
      out.append(static_cast<const char*>(data), size);
    };
    for (const Parameter* parameter : {&model.weight, &model.bias}) {
      add(parameter->value.data(), parameter->value.size() * sizeof(float));
      add(&parameter->version, sizeof parameter->version);
    }
    for (std::size_t group = 0; group < 2; ++group) {
      const double lr = adam.lr(group);
      add(&lr, sizeof lr);
    }
    for (std::size_t index = 0; index < 2; ++index) {
      const ParameterState& state = adam.state(index);
      add(&state.step, sizeof state.step);
      for (const Tensor& buffer : state.buffers) add(buffer.data(), buffer.size() * sizeof(float));
    }
    for (const Schedule* schedule : {static_cast<const Schedule*>(&decay), static_cast<const Schedule*>(&plateau)})
      for (const auto& [key, value] : schedule->state()) {
        out += key;
        add(&value, sizeof value);
      }
    return out;
  }
};

NpyArray f64(double value) {
  NpyArray array{.dtype = DType::float64, .shape = {1}, .bytes = std::vector<unsigned char>(sizeof value)};
  std::memcpy(array.bytes.data(), &value, sizeof value);
  return array;
}

// A new file name in this test program's scratch folder (removed with it at exit).
std::string scratch_file(const std::string& name) {
  static const test::ScratchDir folder("checkpoint-values");
  static int count = 0;
  return folder.file(std::to_string(++count) + name);
}

// A valid checkpoint of a Run with entry `name` replaced by `value`.
std::string checkpoint_with(const std::string& name, const NpyArray& value) {
  const std::string path = scratch_file(".npz");
  Run run;
  save_checkpoint(path, run.parts(), 2);
  NpzEntries entries = load_npz(path);
  bool replaced = false;
  for (auto& [entry, array] : entries)
    if (entry == name) {
      array = value;
      replaced = true;
    }
  BOOST_REQUIRE_MESSAGE(replaced, "the checkpoint has no entry " << name);
  save_npz(path, entries);
  return path;
}

struct BadValue {
  const char* entry;
  NpyArray value;
  const char* expected;  // in the message, after the entry's name
};

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

}  // namespace

BOOST_AUTO_TEST_SUITE(checkpoint_values)

BOOST_AUTO_TEST_CASE(a_value_no_run_holds_is_refused_naming_the_entry_and_changes_nothing) {
  const std::vector<BadValue> cases{
      {"optimizer.state.weight.step", NpyArray::from_u64({UINT64_MAX}), "more steps than a run takes"},
      {"optimizer.state.bias.step", NpyArray::from_u64({std::uint64_t{1} << 63}), "more steps than a run takes"},
      {"optimizer.state.bias.step", NpyArray::from_u64({(std::uint64_t{1} << 53) + 1}), "more steps than a run takes"},
      {"optimizer.param_groups.0.lr", f64(kNaN), "not a learning rate"},
      {"optimizer.param_groups.1.lr", f64(-0.5), "not a learning rate"},
      {"schedule.0.StepLR.last_epoch", f64(kNaN), "must be a whole number of steps"},
      {"schedule.0.StepLR.last_epoch", f64(-kInf), "must be a whole number of steps"},
      {"schedule.1.ReduceLROnPlateau.num_bad_epochs", f64(1e300), "must be a whole number of steps"},
      {"schedule.1.ReduceLROnPlateau.cooldown_counter", f64(2.5), "must be a whole number of steps"},
      {"schedule.1.ReduceLROnPlateau.last_epoch", f64(9007199254740994.0), "must be a whole number of steps"},
  };
  for (const BadValue& bad : cases) {
    const std::string path = checkpoint_with(bad.entry, bad.value);
    Run run;
    run.step(3.0);  // differs from the checkpoint's state
    const std::string before = run.fingerprint();
    try {
      load_checkpoint(path, run.parts());
      BOOST_ERROR(bad.entry << ": a checkpoint with an impossible value was loaded");
    } catch (const IoError& error) {
      const std::string message = error.what();
      const std::string entry = bad.entry;
      // A schedule's value is named by its key and the entries' prefix, the rest in full.
      const std::string name = entry.rfind("schedule.", 0) == 0 ? entry.substr(entry.rfind('.') + 1) : entry;
      BOOST_TEST(message.find(name) != std::string::npos, bad.entry << " not named in: " << message);
      BOOST_TEST(message.find(bad.expected) != std::string::npos, bad.entry << ": " << message);
    }
    BOOST_TEST(run.fingerprint() == before, bad.entry << ": a refused checkpoint changed the run");
    std::filesystem::remove(path);
  }
}

BOOST_AUTO_TEST_CASE(the_largest_values_a_run_holds_still_load_and_the_run_goes_on) {
  // 2^53 steps and an infinite plateau best (its start value) are what a run can hold.
  const std::string path = checkpoint_with("optimizer.state.weight.step", NpyArray::from_u64({std::uint64_t{1} << 53}));
  NpzEntries entries = load_npz(path);
  for (auto& [entry, array] : entries) {
    if (entry == "schedule.1.ReduceLROnPlateau.best") array = f64(kInf);
    if (entry == "schedule.0.StepLR.last_epoch") array = f64(-9007199254740992.0);
  }
  save_npz(path, entries);
  Run run;
  BOOST_TEST(load_checkpoint(path, run.parts()) == 2u);
  BOOST_TEST(run.adam.state(0).step == std::int64_t{1} << 53);
  BOOST_TEST(run.decay.last_epoch() == -9007199254740992);
  run.step(0.5);
  BOOST_TEST(run.adam.state(0).step == (std::int64_t{1} << 53) + 1);
  BOOST_TEST(std::isfinite(run.model.weight.value(0, 0)));
  std::filesystem::remove(path);
}

BOOST_AUTO_TEST_SUITE_END()
