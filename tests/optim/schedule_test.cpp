// Learning-rate schedules against torch.optim.lr_scheduler (tests/fixtures/optim/schedules.npz),
// their composition, and their state round trip.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <functional>
#include <memory>

#include "core/error.hpp"
#include "support/fixtures.hpp"
#include "optim/schedule.hpp"
#include "optim/sgd.hpp"

using namespace recur;
using namespace recur::optim;

namespace {

// gen_optim.py's setup: SGD with two groups, lr 0.1 and 0.02.
struct TwoGroups {
  Parameter a{zeros({1})}, b{zeros({1})};
  SGD sgd{{{.params = {&a}}, {.params = {&b}, .lr = 0.02}}, {.lr = 0.1}};
  std::vector<double> lrs() const { return {sgd.lr(0), sgd.lr(1)}; }
};

using Stepper = std::function<void(std::size_t step)>;

// Compares the rates after construction and after each step with torch's `<name>.lr`.
void expect_rates_match(const std::string& name, TwoGroups& setup, const Stepper& step_all) {
  const auto entries = recur::test::load_npz_map(recur::test::fixture_dir("optim") / "schedules.npz");
  const NpyArray& expected_array = recur::test::entry(entries, name + ".lr", "schedules.npz");
  const std::vector<double> expected = recur::test::as_doubles(expected_array);
  const std::size_t steps = expected_array.shape.at(0);
  BOOST_REQUIRE(steps > 10);
  for (std::size_t step = 0; step < steps; ++step) {
    if (step > 0) step_all(step - 1);
    const std::vector<double> ours = setup.lrs();
    for (std::size_t group = 0; group < 2; ++group)
      BOOST_TEST(ours[group] == expected[step * 2 + group], boost::test_tools::tolerance(1e-12)
                 << name << " step " << step << " group " << group);
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(schedules)

BOOST_AUTO_TEST_CASE(step_exponential_cosine_and_linear_match_pytorch) {
  {
    TwoGroups setup;
    StepLR schedule(setup.sgd, {.step_size = 3, .gamma = 0.5});
    expect_rates_match("step", setup, [&](std::size_t) { schedule.step(); });
  }
  {
    TwoGroups setup;
    ExponentialLR schedule(setup.sgd, {.gamma = 0.9});
    expect_rates_match("exponential", setup, [&](std::size_t) { schedule.step(); });
  }
  {
    TwoGroups setup;
    CosineAnnealingLR schedule(setup.sgd, {.T_max = 7, .eta_min = 0.001});
    expect_rates_match("cosine", setup, [&](std::size_t) { schedule.step(); });
  }
  {
    TwoGroups setup;
    LinearLR schedule(setup.sgd, {.start_factor = 0.1, .end_factor = 1.0, .total_iters = 5});
    expect_rates_match("linear", setup, [&](std::size_t) { schedule.step(); });
  }
  {
    TwoGroups setup;
    LinearLR schedule(setup.sgd, {.start_factor = 1.0, .end_factor = 0.2, .total_iters = 8});
    expect_rates_match("linear_decay", setup, [&](std::size_t) { schedule.step(); });
  }
}

BOOST_AUTO_TEST_CASE(a_warmup_and_a_cosine_stepped_together_compose_like_pytorch) {
  TwoGroups setup;
  LinearLR warmup(setup.sgd, {.start_factor = 0.25, .total_iters = 4});
  CosineAnnealingLR cosine(setup.sgd, {.T_max = 12});
  expect_rates_match("warmup_cosine", setup, [&](std::size_t) {
    warmup.step();
    cosine.step();
  });
}

BOOST_AUTO_TEST_CASE(reduce_on_plateau_matches_pytorch_in_both_modes) {
  const auto entries = recur::test::load_npz_map(recur::test::fixture_dir("optim") / "schedules.npz");
  const std::vector<double> metrics =
      recur::test::as_doubles(recur::test::entry(entries, "plateau.metrics", "schedules.npz"));
  {
    TwoGroups setup;
    ReduceLROnPlateau schedule(setup.sgd, {.factor = 0.5, .patience = 2});
    expect_rates_match("plateau", setup, [&](std::size_t step) { schedule.step(metrics[step]); });
  }
  {
    TwoGroups setup;
    ReduceLROnPlateau schedule(setup.sgd, {.maximize = true, .factor = 0.3, .patience = 1,
                                           .threshold = 0.05, .relative_threshold = false,
                                           .cooldown = 2, .min_lr = 0.005});
    expect_rates_match("plateau_max_abs_cooldown", setup,
                       [&](std::size_t step) { schedule.step(metrics[step]); });
  }
}

BOOST_AUTO_TEST_CASE(a_restored_state_continues_the_same_rates) {
  TwoGroups original, restored;
  CosineAnnealingLR first(original.sgd, {.T_max = 10});
  for (int step = 0; step < 4; ++step) first.step();
  CosineAnnealingLR second(restored.sgd, {.T_max = 10});
  second.load_state(first.state());
  restored.sgd.set_lr(0, original.sgd.lr(0));  // a checkpoint restores the optimiser's rates too
  restored.sgd.set_lr(1, original.sgd.lr(1));
  BOOST_TEST(second.last_epoch() == 4);
  for (int step = 0; step < 5; ++step) {
    first.step();
    second.step();
    BOOST_TEST(original.lrs() == restored.lrs());
  }
  ReduceLROnPlateau plateau(original.sgd, {.patience = 0});
  plateau.step(1.0);
  plateau.step(2.0);
  ReduceLROnPlateau plateau_restored(restored.sgd);
  plateau_restored.load_state(plateau.state());
  BOOST_TEST(plateau_restored.best() == 1.0);
}

BOOST_AUTO_TEST_CASE(a_state_that_does_not_fit_is_refused_naming_each_problem) {
  TwoGroups setup;
  StepLR schedule(setup.sgd, {.step_size = 2});
  ScheduleState state = schedule.state();
  state.erase(state.begin());  // last_epoch
  state.emplace_back("gamma", 0.5);
  try {
    schedule.load_state(state);
    BOOST_FAIL("load_state accepted a broken state");
  } catch (const ValueError& error) {
    const std::string message = error.what();
    BOOST_TEST(message.find("StepLR") != std::string::npos, message);
    BOOST_TEST(message.find("missing 'last_epoch'") != std::string::npos, message);
    BOOST_TEST(message.find("unexpected 'gamma'") != std::string::npos, message);
  }
  BOOST_TEST(schedule.last_epoch() == 0);  // unchanged
  BOOST_CHECK_THROW(StepLR(setup.sgd, {.step_size = 0}), ValueError);
  BOOST_CHECK_THROW(LinearLR(setup.sgd, {.start_factor = 0}), ValueError);
  BOOST_CHECK_THROW(ReduceLROnPlateau(setup.sgd, {.factor = 1.0}), ValueError);
}

BOOST_AUTO_TEST_SUITE_END()
