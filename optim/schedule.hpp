/// @file
/// Learning-rate schedules: step, exponential, cosine annealing, linear warm-up, reduce on plateau.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "optim/optimizer.hpp"

namespace recur::optim {

/// A schedule's state as named numbers, for checkpoints (optim/checkpoint.hpp).
using ScheduleState = std::vector<std::pair<std::string, double>>;

/// Anything that sets an optimiser's learning rates over time and can be checkpointed.
/// Schedules work through Optimizer's lr()/set_lr(), so they compose with any optimiser.
class Schedule {
 public:
  virtual ~Schedule() = default;
  /// The schedule's name, as in checkpoints and error messages: `StepLR`.
  virtual const char* name() const = 0;
  /// Every number the schedule needs to continue exactly where it was.
  virtual ScheduleState state() const = 0;
  /// Restores a state returned by state(). All or nothing: throws recur::ValueError naming every
  /// missing or unexpected entry, or a step count that is not a whole number within +-2^53.
  virtual void load_state(const ScheduleState& state) = 0;
  /// The learning rates the schedule last set, one per group.
  const std::vector<double>& last_lr() const { return last_lr_; }

 protected:
  std::vector<double> last_lr_;  ///< The rates set by the last step, one per group.
};

/// The schedules stepped once per step (or per epoch) after optimizer.step(), as
/// torch.optim.lr_scheduler's: each computes the new rate from the current one (PyTorch's
/// chainable form), so two schedules stepped together multiply, e.g. a LinearLR warm-up and a
/// CosineAnnealingLR (PyTorch's ChainedScheduler). Constructing one applies its step 0.
///
/// @code
/// recur::optim::Adam opt(model.parameters(), {.lr = 1e-3});
/// recur::optim::StepLR schedule(opt, {.step_size = 30, .gamma = 0.1});
/// for (int epoch = 0; epoch < 100; ++epoch) {
///   train_one_epoch();        // ends with opt.step()
///   schedule.step();
/// }
/// @endcode
class LRScheduler : public Schedule {
 public:
  /// Advances one step and sets every group's learning rate.
  void step();
  /// Steps taken since construction (PyTorch's last_epoch; 0 right after construction).
  std::int64_t last_epoch() const { return last_epoch_; }
  /// The learning rates the groups had when the schedule was attached (PyTorch's base_lrs).
  const std::vector<double>& base_lrs() const { return base_lrs_; }
  ScheduleState state() const override;
  void load_state(const ScheduleState& state) override;

 protected:
  /// Attaches to `optimizer`, taking its groups' initial rates as the base rates.
  explicit LRScheduler(Optimizer& optimizer);
  /// Applies step 0; derived constructors call it once their options are set.
  void initial_step();
  /// The new learning rate of `group` at last_epoch(), from its current rate.
  virtual double next_lr(std::size_t group, double current) const = 0;

  Optimizer& optimizer_;           ///< The optimiser whose rates are set.
  std::vector<double> base_lrs_;   ///< Each group's rate when the first schedule was attached.
  std::int64_t last_epoch_ = -1;   ///< Steps taken; -1 before the initial step.
};

/// Options of StepLR.
struct StepLROptions {
  std::int64_t step_size = 1;  ///< Steps between decays.
  double gamma = 0.1;          ///< Factor of each decay.
};

/// Multiplies the learning rate by `gamma` every `step_size` steps (torch StepLR).
class StepLR : public LRScheduler {
 public:
  /// Attaches to `optimizer`.
  /// @param optimizer Whose learning rates it sets; it must outlive the schedule.
  /// @param options step_size and gamma.
  /// @throws recur::ValueError unless step_size > 0.
  StepLR(Optimizer& optimizer, const StepLROptions& options);
  const char* name() const override { return "StepLR"; }

 private:
  double next_lr(std::size_t group, double current) const override;
  StepLROptions options_;
};

/// Options of ExponentialLR.
struct ExponentialLROptions {
  double gamma = 0.99;  ///< Factor applied every step.
};

/// Multiplies the learning rate by `gamma` every step (torch ExponentialLR).
class ExponentialLR : public LRScheduler {
 public:
  /// Attaches to `optimizer`.
  /// @param optimizer Whose learning rates it sets; it must outlive the schedule.
  /// @param options gamma, the factor per step.
  ExponentialLR(Optimizer& optimizer, const ExponentialLROptions& options);
  const char* name() const override { return "ExponentialLR"; }

 private:
  double next_lr(std::size_t group, double current) const override;
  ExponentialLROptions options_;
};

/// Options of CosineAnnealingLR.
struct CosineAnnealingLROptions {
  std::int64_t T_max = 1;  ///< Steps from the base rate down to eta_min (half a cosine period).
  double eta_min = 0.0;    ///< The lowest rate.
};

/// Anneals from the base rate to eta_min along half a cosine over T_max steps, then back up
/// (torch CosineAnnealingLR, in its recursive form):
/// lr_t = eta_min + (base - eta_min) * (1 + cos(pi * t / T_max)) / 2.
class CosineAnnealingLR : public LRScheduler {
 public:
  /// Attaches to `optimizer`.
  /// @param optimizer Whose learning rates it sets; it must outlive the schedule.
  /// @param options T_max (steps of one half cosine) and eta_min (the lowest rate).
  /// @throws recur::ValueError unless T_max > 0.
  CosineAnnealingLR(Optimizer& optimizer, const CosineAnnealingLROptions& options);
  const char* name() const override { return "CosineAnnealingLR"; }

 private:
  double next_lr(std::size_t group, double current) const override;
  CosineAnnealingLROptions options_;
};

/// Options of LinearLR, with PyTorch's defaults.
struct LinearLROptions {
  double start_factor = 1.0 / 3;  ///< Factor of the base rate at step 0, in (0, 1].
  double end_factor = 1.0;        ///< Factor reached after total_iters steps, in [0, 1].
  std::int64_t total_iters = 5;   ///< Steps of the ramp.
};

/// Scales the base rate linearly from start_factor to end_factor over total_iters steps, then
/// keeps it (torch LinearLR): the usual linear warm-up with start_factor < 1.
/// @code
/// recur::optim::LinearLR warmup(opt, {.start_factor = 0.01, .total_iters = 500});
/// @endcode
class LinearLR : public LRScheduler {
 public:
  /// Attaches to `optimizer`, and applies the start factor at once.
  /// @param optimizer Whose learning rates it sets; it must outlive the schedule.
  /// @param options start_factor, end_factor and total_iters.
  /// @throws recur::ValueError for factors outside [0, 1] (start > 0).
  LinearLR(Optimizer& optimizer, const LinearLROptions& options);
  const char* name() const override { return "LinearLR"; }

 private:
  double next_lr(std::size_t group, double current) const override;
  LinearLROptions options_;
};

/// Options of ReduceLROnPlateau, with PyTorch's defaults.
struct ReduceLROnPlateauOptions {
  bool maximize = false;       ///< The metric improves upwards (PyTorch's mode='max').
  double factor = 0.1;         ///< new_lr = lr * factor, in (0, 1).
  std::int64_t patience = 10;  ///< Steps without improvement tolerated before a reduction.
  double threshold = 1e-4;     ///< How much better counts as an improvement.
  bool relative_threshold = true;  ///< The threshold is relative (PyTorch's 'rel') or absolute.
  std::int64_t cooldown = 0;   ///< Steps after a reduction during which bad steps are not counted.
  double min_lr = 0.0;         ///< The rate never goes below this.
  double eps = 1e-8;           ///< Reductions smaller than this are skipped.
};

/// Reduces the learning rate when a metric (a validation loss) stops improving (torch
/// ReduceLROnPlateau). Step it with the metric, e.g. once per epoch.
/// @code
/// recur::optim::ReduceLROnPlateau schedule(opt, {.factor = 0.5, .patience = 3});
/// schedule.step(validation_loss);
/// @endcode
class ReduceLROnPlateau : public Schedule {
 public:
  /// Attaches to `optimizer`.
  /// @param optimizer Whose learning rates it sets; it must outlive the schedule.
  /// @param options maximize, factor, patience, threshold, cooldown, min_lr and eps.
  /// @throws recur::ValueError for factor >= 1 or a negative option.
  ReduceLROnPlateau(Optimizer& optimizer, const ReduceLROnPlateauOptions& options = {});
  const char* name() const override { return "ReduceLROnPlateau"; }
  /// Records this step's metric, reducing the rates after `patience` steps without improvement.
  /// @param metric The value watched, usually the validation loss.
  void step(double metric);
  /// The best metric seen so far.
  double best() const { return best_; }
  /// Steps since the last improvement.
  std::int64_t num_bad_epochs() const { return num_bad_epochs_; }
  ScheduleState state() const override;
  void load_state(const ScheduleState& state) override;

 private:
  bool is_better(double value) const;

  Optimizer& optimizer_;
  ReduceLROnPlateauOptions options_;
  double best_;
  std::int64_t num_bad_epochs_ = 0;
  std::int64_t cooldown_counter_ = 0;
  std::int64_t last_epoch_ = 0;
};

}  // namespace recur::optim
