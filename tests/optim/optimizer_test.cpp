// Optimisers on hand-computed cases: update formulas, groups, versions, errors, buffer reuse.
// (tests/optim/parity_test.cpp checks whole trajectories against torch.optim.)
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "optim/adagrad.hpp"
#include "optim/adam.hpp"
#include "optim/rmsprop.hpp"
#include "optim/sgd.hpp"
#include "support/check.hpp"
#include "support/errors.hpp"

using namespace recur;
using namespace recur::optim;
using recur::test::contains;
using recur::test::error_message;

namespace {

// A parameter holding `value` whose gradient is `grad`.
std::unique_ptr<Parameter> make_parameter(Tensor value, const Tensor& grad) {
  auto parameter = std::make_unique<Parameter>(std::move(value));
  parameter->grad = grad;
  return parameter;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(optimizers)

BOOST_AUTO_TEST_CASE(sgd_steps_against_the_gradient_and_momentum_starts_undamped) {
  auto plain = make_parameter(Tensor{1.0f, -2.0f}, Tensor{0.5f, 1.0f});
  SGD sgd({plain.get()}, {.lr = 0.1});
  sgd.step();
  RECUR_CHECK_CLOSE(plain->value, (Tensor{0.95f, -2.1f}), 1e-6, 1e-7);

  // buf = g on step 1 (no dampening), then 0.9*buf + (1-0.5)*g = 1.4 g.
  auto moving = make_parameter(Tensor{1.0f, -2.0f}, Tensor{0.5f, 1.0f});
  SGD momentum({moving.get()}, {.lr = 0.1, .momentum = 0.9, .dampening = 0.5});
  momentum.step();
  momentum.step();
  RECUR_CHECK_CLOSE(moving->value, (Tensor{1.0f - 0.05f - 0.07f, -2.0f - 0.1f - 0.14f}), 1e-6, 1e-7);
  RECUR_CHECK_CLOSE(momentum.state(0).buffers[0], (Tensor{0.7f, 1.4f}), 1e-6, 1e-7);
  BOOST_TEST(momentum.state(0).step == 2);
}

BOOST_AUTO_TEST_CASE(sgd_nesterov_and_weight_decay_follow_pytorch) {
  // g = grad + wd*p = 1 + 0.1*2 = 1.2; buf = 1.2; update = g + 0.9*buf = 2.28.
  auto parameter = make_parameter(Tensor{2.0f}, Tensor{1.0f});
  SGD sgd({parameter.get()}, {.lr = 0.5, .momentum = 0.9, .weight_decay = 0.1, .nesterov = true});
  sgd.step();
  BOOST_TEST(parameter->value(0) == 2.0f - 0.5f * 2.28f, boost::test_tools::tolerance(1e-6f));
}

BOOST_AUTO_TEST_CASE(adam_first_step_moves_each_weight_by_lr_against_the_sign_of_its_gradient) {
  // After bias correction, step 1 is lr * g / (|g| + eps): lr times the sign.
  auto parameter = make_parameter(Tensor{{1.0f, 2.0f}, {3.0f, 4.0f}}, Tensor{{0.3f, -7.0f}, {1e-3f, -0.5f}});
  Adam adam({parameter.get()}, {.lr = 0.01});
  adam.step();
  RECUR_CHECK_CLOSE(parameter->value, (Tensor{{0.99f, 2.01f}, {2.99f, 4.01f}}), 1e-5, 1e-6);
  BOOST_TEST(adam.state(0).step == 1);
  BOOST_TEST(adam.state(0).buffers[2].size() == 0);  // no max_exp_avg_sq without amsgrad
}

BOOST_AUTO_TEST_CASE(adamw_decays_the_weights_even_where_the_gradient_is_zero) {
  auto parameter = make_parameter(Tensor{2.0f, -4.0f}, Tensor{0.0f, 0.0f});
  AdamW adamw({parameter.get()}, {.lr = 0.1, .weight_decay = 0.5});
  adamw.step();
  RECUR_CHECK_CLOSE(parameter->value, (Tensor{1.9f, -3.8f}), 1e-6, 1e-7);
}

BOOST_AUTO_TEST_CASE(amsgrad_keeps_the_largest_second_moment) {
  auto parameter = make_parameter(Tensor{0.0f}, Tensor{2.0f});
  Adam adam({parameter.get()}, {.amsgrad = true});
  adam.step();
  parameter->grad = Tensor{0.0f};
  adam.step();
  const ParameterState& state = adam.state(0);
  // v1 = 0.001*4 = 0.004, v2 = 0.999*0.004 = 0.003996: the maximum stays v1.
  BOOST_TEST(state.buffers[1](0) == 0.003996f, boost::test_tools::tolerance(1e-5f));
  BOOST_TEST(state.buffers[2](0) == 0.004f, boost::test_tools::tolerance(1e-5f));
}

BOOST_AUTO_TEST_CASE(rmsprop_and_adagrad_divide_by_the_root_of_their_accumulators) {
  // RMSprop: s = 0.01 * 4 = 0.04, p = 1 - 0.01 * 2 / 0.2 = 0.9.
  auto first = make_parameter(Tensor{1.0f}, Tensor{2.0f});
  RMSprop rmsprop({first.get()});
  rmsprop.step();
  BOOST_TEST(first->value(0) == 0.9f, boost::test_tools::tolerance(1e-6f));
  // Centered: a = 0.01 * 2 = 0.02, avg = sqrt(0.04 - 0.0004).
  auto centered_parameter = make_parameter(Tensor{1.0f}, Tensor{2.0f});
  RMSprop centered({centered_parameter.get()}, {.centered = true});
  centered.step();
  BOOST_TEST(centered_parameter->value(0) == 1.0f - 0.01f * 2.0f / std::sqrt(0.0396f),
             boost::test_tools::tolerance(1e-6f));
  // Adagrad: sum = 0.1 + 4, p = 1 - 0.1 * 2 / sqrt(4.1); step 2 uses lr / (1 + lr_decay).
  auto second = make_parameter(Tensor{1.0f}, Tensor{2.0f});
  Adagrad adagrad({second.get()}, {.lr = 0.1, .lr_decay = 1.0, .initial_accumulator_value = 0.1});
  adagrad.step();
  const float after_one = 1.0f - 0.1f * 2.0f / std::sqrt(4.1f);
  BOOST_TEST(second->value(0) == after_one, boost::test_tools::tolerance(1e-6f));
  adagrad.step();
  BOOST_TEST(second->value(0) == after_one - 0.05f * 2.0f / std::sqrt(8.1f),
             boost::test_tools::tolerance(1e-6f));
}

BOOST_AUTO_TEST_CASE(step_bumps_every_updated_version_and_skips_frozen_parameters) {
  auto trained = make_parameter(Tensor{1.0f}, Tensor{1.0f});
  auto frozen = make_parameter(Tensor{1.0f}, Tensor{1.0f});
  frozen->requires_grad = false;
  Adam adam({trained.get(), frozen.get()});
  adam.step();
  adam.step();
  BOOST_TEST(trained->version == 2u);
  BOOST_TEST(frozen->version == 0u);
  BOOST_TEST(frozen->value(0) == 1.0f);
  adam.zero_grad();
  BOOST_TEST(trained->grad(0) == 0.0f);
}

BOOST_AUTO_TEST_CASE(groups_override_the_defaults_and_set_lr_changes_one_group) {
  auto body = make_parameter(Tensor{1.0f}, Tensor{1.0f});
  auto head = make_parameter(Tensor{1.0f}, Tensor{1.0f});
  SGD sgd({{.params = {body.get()}}, {.params = {head.get()}, .lr = 0.5, .weight_decay = 1.0}},
          {.lr = 0.1});
  BOOST_TEST(sgd.num_groups() == 2u);
  BOOST_TEST(sgd.lr(0) == 0.1);
  BOOST_TEST(sgd.lr(1) == 0.5);
  sgd.step();
  BOOST_TEST(body->value(0) == 0.9f, boost::test_tools::tolerance(1e-6f));
  BOOST_TEST(head->value(0) == 0.0f, boost::test_tools::tolerance(1e-6f));  // 1 - 0.5*(1 + 1*1)
  sgd.set_lr(1, 0.25);
  sgd.options(0).momentum = 0.0;
  BOOST_TEST(sgd.lr(1) == 0.25);
  sgd.set_lr(0.01);
  BOOST_TEST(sgd.lr(0) == 0.01);
  BOOST_TEST(sgd.lr(1) == 0.01);
}

BOOST_AUTO_TEST_CASE(steps_reuse_the_state_buffers_instead_of_reallocating) {
  auto parameter = make_parameter(zeros({16, 8}), full({16, 8}, 0.5f));
  Adam adam({parameter.get()}, {.weight_decay = 0.1, .amsgrad = true});
  adam.step();
  const float* value_data = parameter->value.data();
  std::array<const float*, 3> buffer_data;
  for (std::size_t slot = 0; slot < 3; ++slot) buffer_data[slot] = adam.state(0).buffers[slot].data();
  const float* scratch_data = adam.state(0).scratch.data();
  for (int step = 0; step < 5; ++step) adam.step();
  BOOST_TEST(parameter->value.data() == value_data);
  for (std::size_t slot = 0; slot < 3; ++slot) BOOST_TEST(adam.state(0).buffers[slot].data() == buffer_data[slot]);
  BOOST_TEST(adam.state(0).scratch.data() == scratch_data);
}

BOOST_AUTO_TEST_CASE(invalid_options_and_groups_are_refused_with_a_reason) {
  auto parameter = make_parameter(Tensor{1.0f}, Tensor{1.0f});
  BOOST_TEST(contains(error_message<ValueError>([&] { SGD sgd({parameter.get()}); }), "learning rate"));
  BOOST_TEST(contains(error_message<ValueError>([&] {
                        SGD sgd({parameter.get()}, {.lr = 0.1, .nesterov = true});
                      }),
                      "Nesterov"));
  BOOST_TEST(contains(error_message<ValueError>([&] {
                        Adam adam({parameter.get()}, {.betas = {0.9, 1.0}});
                      }),
                      "beta parameter at index 1"));
  BOOST_TEST(contains(error_message<ValueError>([&] { RMSprop r({parameter.get()}, {.lr = -1}); }),
                      "RMSprop: invalid learning rate"));
  BOOST_TEST(contains(error_message<ValueError>([&] { Adagrad a({parameter.get()}, {.eps = -1}); }),
                      "Adagrad: invalid epsilon"));
  BOOST_TEST(contains(error_message<ValueError>([&] {
                        Adam adam({{.params = {parameter.get()}}, {.params = {parameter.get()}}});
                      }),
                      "appears twice"));
  BOOST_TEST(contains(error_message<ValueError>([&] { Adam adam(std::vector<Parameter*>{}); }),
                      "empty"));
}

BOOST_AUTO_TEST_CASE(a_group_or_parameter_index_out_of_range_names_the_optimiser_and_the_count) {
  // Two groups of one and two parameters: groups 0..1, parameters 0..2.
  auto a = make_parameter(Tensor{1.0f}, Tensor{1.0f});
  auto b = make_parameter(Tensor{1.0f}, Tensor{1.0f});
  auto c = make_parameter(Tensor{1.0f}, Tensor{1.0f});
  const std::vector<ParamGroup> groups{{.params = {a.get()}}, {.params = {b.get(), c.get()}}};
  Adam adam(groups, {.lr = 0.1});
  const Adam& const_adam = adam;
  SGD sgd(groups, {.lr = 0.1});
  RMSprop rmsprop(groups, {.lr = 0.1});
  Adagrad adagrad(groups, {.lr = 0.1});
  // Each call, and what its message must say: the optimiser, the accessor, the index, the count.
  const std::vector<std::pair<std::vector<std::string>, std::function<void()>>> bad_calls{
      {{"Adam.options: no parameter group 2", "has 2 groups"}, [&] { adam.options(2); }},
      {{"Adam.options: no parameter group 7", "has 2 groups"}, [&] { const_adam.options(7); }},
      {{"Adam.lr: no parameter group 2", "has 2 groups"}, [&] { adam.lr(2); }},
      {{"Adam.set_lr: no parameter group 2", "has 2 groups"}, [&] { adam.set_lr(2, 0.5); }},
      {{"Adam.initial_lr: no parameter group 2", "has 2 groups"}, [&] { adam.initial_lr(2); }},
      {{"Adam.group_params: no parameter group 2", "has 2 groups"}, [&] { adam.group_params(2); }},
      {{"Adam.buffers_used: no parameter group 2", "has 2 groups"}, [&] { adam.buffers_used(2); }},
      {{"SGD.options: no parameter group 2", "has 2 groups"}, [&] { sgd.options(2); }},
      {{"SGD.buffers_used: no parameter group 2", "has 2 groups"}, [&] { sgd.buffers_used(2); }},
      {{"RMSprop.buffers_used: no parameter group 2", "has 2 groups"},
       [&] { rmsprop.buffers_used(2); }},
      {{"Adagrad.buffers_used: no parameter group 2", "has 2 groups"},
       [&] { adagrad.buffers_used(2); }},
      {{"Adam.state: no parameter 3", "has 3 parameters"}, [&] { adam.state(3); }},
      {{"Adam.state: no parameter 3", "has 3 parameters"}, [&] { const_adam.state(3); }},
      {{"Adam.group_of: no parameter 3", "has 3 parameters"}, [&] { adam.group_of(3); }},
      {{"SGD.state: no parameter 3", "has 3 parameters"}, [&] { sgd.state(3); }},
  };
  for (const auto& [parts, call] : bad_calls) {
    const std::string message = error_message<ValueError>(call);
    for (const std::string& part : parts) BOOST_TEST(contains(message, part), message);
  }
  // The last valid index of each still works, and the failed calls changed nothing.
  BOOST_TEST(adam.group_of(2) == 1u);
  BOOST_TEST(adam.state(2).step == 0);
  BOOST_TEST(adam.lr(1) == 0.1);
  BOOST_TEST(adam.initial_lr(1) == 0.1);
}

BOOST_AUTO_TEST_CASE(a_gradient_of_the_wrong_shape_throws_before_any_parameter_changes) {
  auto good = make_parameter(Tensor{1.0f}, Tensor{1.0f});
  auto bad = make_parameter(zeros({2, 3}), zeros({3, 2}));
  Adam adam({good.get(), bad.get()});
  const std::string message = error_message<ShapeError>([&] { adam.step(); });
  BOOST_TEST(contains(message, "Adam.step"), message);
  BOOST_TEST(contains(message, "[2, 3]"), message);
  BOOST_TEST(contains(message, "[3, 2]"), message);
  BOOST_TEST(good->value(0) == 1.0f);
  BOOST_TEST(good->version == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
