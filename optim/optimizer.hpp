/// @file
/// Optimizer: the base of every optimiser; parameter groups, learning rates, per-parameter state.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "autograd/parameter.hpp"
#include "core/tensor.hpp"

namespace recur::optim {

/// Parameters that share options. `lr` and `weight_decay`, when set, override the optimiser's
/// defaults for this group (PyTorch's param_groups); every other option can be changed per group
/// after construction through the optimiser's `group(i).options`.
///
/// @code
/// recur::optim::SGD opt({{.params = body.parameters()},
///                        {.params = head.parameters(), .lr = 0.1}},
///                       {.lr = 0.01, .momentum = 0.9});
/// @endcode
struct ParamGroup {
  std::vector<Parameter*> params;             ///< The parameters of this group.
  std::optional<double> lr = std::nullopt;    ///< This group's learning rate.
  std::optional<double> weight_decay = std::nullopt;  ///< This group's weight decay.
};

/// What an optimiser keeps for one parameter between steps.
struct ParameterState {
  /// Updates applied to this parameter so far (PyTorch's `state['step']`).
  std::int64_t step = 0;
  /// Running averages and buffers, slot i named by Optimizer::buffer_names()[i]; a slot the
  /// options do not use stays empty (size 0).
  std::array<Tensor, 3> buffers{Tensor(Shape{0}), Tensor(Shape{0}), Tensor(Shape{0})};
  /// Scratch for the weight-decayed gradient; not part of the state.
  Tensor scratch = Tensor(Shape{0});
};

/// The base of every optimiser: updates parameters from their gradients, one group of
/// parameters at a time, each group with its own learning rate.
///
/// Schedules (optim/schedule.hpp) and checkpoints (optim/checkpoint.hpp) work through this
/// interface, so they compose with any optimiser.
/// @see @ref training "Training" for the loop, the optimisers' formulas and clipping.
class Optimizer {
 public:
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  /// Updates every parameter that requires a gradient from its `grad`, in place: checks every
  /// gradient's shape first (so a bad one changes nothing), then for each parameter counts the
  /// step in its state, applies the optimiser's formula (update()) and bumps its version.
  /// @throws recur::ShapeError if a gradient's shape differs from its parameter's.
  void step();
  /// Sets the gradient of every parameter to zero.
  void zero_grad();

  /// The optimiser's name, as in error messages: `Adam`.
  const std::string& name() const { return name_; }
  /// The number of parameter groups.
  std::size_t num_groups() const { return group_params_.size(); }
  /// The parameters of group `group`.
  /// @throws recur::ValueError if there is no group `group`.
  const std::vector<Parameter*>& group_params(std::size_t group) const;
  /// Every parameter, group after group (the order of state()).
  const std::vector<Parameter*>& parameters() const { return parameters_; }
  /// The learning rate of group `group`.
  virtual double lr(std::size_t group = 0) const = 0;
  /// Sets the learning rate of group `group` (what schedules do).
  virtual void set_lr(std::size_t group, double lr) = 0;
  /// Sets the learning rate of every group.
  void set_lr(double lr);
  /// The learning rate of group `group` when the first schedule was attached (PyTorch's
  /// `initial_lr`): the base that every schedule of this optimiser starts from, so that a second
  /// schedule attached after a warm-up does not take the warmed-down rate as its base.
  /// @throws recur::ValueError if there is no group `group`.
  double initial_lr(std::size_t group);

  /// The names of the buffer slots of ParameterState (`exp_avg`, `exp_avg_sq`, ...); an empty
  /// name marks a slot this optimiser never uses.
  virtual std::array<const char*, 3> buffer_names() const = 0;
  /// The buffer slots that group `group`'s options use once a parameter has been stepped.
  /// @throws recur::ValueError if there is no group `group`.
  virtual std::array<bool, 3> buffers_used(std::size_t group) const = 0;
  /// The state of parameter `index` (in the order of parameters()).
  /// @throws recur::ValueError if there is no parameter `index`.
  ParameterState& state(std::size_t index) {
    check_parameter(index, "state");
    return states_[index];
  }
  /// @copydoc state(std::size_t)
  const ParameterState& state(std::size_t index) const {
    check_parameter(index, "state");
    return states_[index];
  }
  /// The group that parameter `index` belongs to.
  /// @throws recur::ValueError if there is no parameter `index`.
  std::size_t group_of(std::size_t index) const {
    check_parameter(index, "group_of");
    return group_of_[index];
  }

 protected:
  /// Checks the groups (non-empty, no null or repeated parameter) and sets up empty states.
  Optimizer(std::string name, std::span<const ParamGroup> groups);

  /// The optimiser's formula for one parameter, called by step() for every parameter that
  /// requires a gradient (whose shape step() has checked); `state.step` already counts this
  /// step. It writes `parameter.value` in place; step() bumps the version.
  /// @param index The parameter's position in parameters(). @param parameter The parameter.
  /// @param state Its state (buffer() allocates the slots on first use).
  virtual void update(std::size_t index, Parameter& parameter, ParameterState& state) = 0;

  /// Throws recur::ValueError naming this optimiser, `accessor`, `group` and the number of
  /// groups unless `group` < num_groups(). Inline so that step()'s loop pays one comparison.
  void check_group(std::size_t group, const char* accessor) const {
    if (group >= group_params_.size()) throw_no_group(group, accessor);
  }
  /// Throws recur::ValueError naming this optimiser, `accessor`, `index` and the number of
  /// parameters unless `index` < parameters().size().
  void check_parameter(std::size_t index, const char* accessor) const {
    if (index >= parameters_.size()) throw_no_parameter(index, accessor);
  }

  /// Checks that parameter `index`'s gradient has its value's shape (before any update).
  void check_grad(std::size_t index) const;
  /// `grad + weight_decay * value` in the state's scratch (allocated once), or `grad` itself
  /// when weight_decay is 0, as PyTorch's `grad.add(param, alpha=weight_decay)`.
  const Tensor& decayed_grad(std::size_t index, float weight_decay);
  /// Slot `slot` of parameter `index`'s state, allocated (filled with `fill`) on first use.
  Tensor& buffer(std::size_t index, std::size_t slot, float fill = 0.0f);

 private:
  [[noreturn]] void throw_no_group(std::size_t group, const char* accessor) const;
  [[noreturn]] void throw_no_parameter(std::size_t index, const char* accessor) const;

  std::string name_;
  std::vector<std::vector<Parameter*>> group_params_;
  std::vector<Parameter*> parameters_;
  std::vector<std::size_t> group_of_;
  std::vector<ParameterState> states_;
  std::vector<double> initial_lrs_;
};

/// The part of an optimiser that depends on its options type: the groups with their options.
/// `Options` is an aggregate with at least `lr` and `weight_decay`.
template <class Options>
class OptimizerWithOptions : public Optimizer {
 public:
  /// The options in effect for group `group`; change them between steps if needed.
  /// @throws recur::ValueError if there is no group `group`.
  Options& options(std::size_t group = 0) {
    check_group(group, "options");
    return options_[group];
  }
  /// @copydoc options(std::size_t)
  const Options& options(std::size_t group = 0) const {
    check_group(group, "options");
    return options_[group];
  }
  /// The learning rate of group `group`.
  /// @throws recur::ValueError if there is no group `group`.
  double lr(std::size_t group = 0) const override {
    check_group(group, "lr");
    return options_[group].lr;
  }
  /// Sets the learning rate of group `group`.
  /// @throws recur::ValueError if there is no group `group`.
  void set_lr(std::size_t group, double lr) override {
    check_group(group, "set_lr");
    options_[group].lr = lr;
  }
  using Optimizer::set_lr;

 protected:
  /// update() with the options of the parameter's group: what each optimiser writes.
  /// @param index The parameter's position in parameters(). @param parameter The parameter.
  /// @param state Its state, `state.step` counting this step. @param options Its group's.
  virtual void update(std::size_t index, Parameter& parameter, ParameterState& state,
                      const Options& options) = 0;

  /// Sets up the groups, each with `defaults` overridden by its ParamGroup's lr and weight_decay.
  OptimizerWithOptions(std::string name, std::span<const ParamGroup> groups,
                       const Options& defaults)
      : Optimizer(std::move(name), groups) {
    for (const ParamGroup& group : groups) {
      Options options = defaults;
      if (group.lr) options.lr = *group.lr;
      if (group.weight_decay) options.weight_decay = *group.weight_decay;
      options_.push_back(options);
    }
  }

 private:
  void update(std::size_t index, Parameter& parameter, ParameterState& state) final {
    update(index, parameter, state, options_[group_of(index)]);
  }

  std::vector<Options> options_;
};

}  // namespace recur::optim
