#include "optim/schedule.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <numbers>

#include "core/error.hpp"

namespace recur::optim {
namespace {

// Reads the named entries of a schedule's state, all or nothing: every expected name must be
// present and nothing else; the message lists every problem at once.
std::vector<double> read_state(const char* schedule, const ScheduleState& state,
                               const std::vector<std::string>& names) {
  std::map<std::string, double> given(state.begin(), state.end());
  std::vector<double> values;
  std::string problems;
  for (const std::string& name : names) {
    auto found = given.find(name);
    if (found == given.end()) {
      problems += " missing '" + name + "';";
      continue;
    }
    values.push_back(found->second);
    given.erase(found);
  }
  for (const auto& [name, value] : given) problems += " unexpected '" + name + "';";
  if (!problems.empty())
    throw ValueError(std::string(schedule) + ".load_state: the state does not fit this schedule:" +
                     problems.substr(0, problems.size() - 1));
  return values;
}

// A step count of a loaded state as an integer. The state holds counts as doubles; one that is
// not a whole number within +-2^53 (where doubles stop counting exactly) comes from a damaged
// file, and converting it would be undefined (NaN, beyond int64) or silently wrong.
std::int64_t count_from(const char* schedule, const std::string& name, double value) {
  constexpr double kLimit = 9007199254740992.0;  // 2^53
  if (!(std::abs(value) <= kLimit) || std::trunc(value) != value)
    throw ValueError(std::string(schedule) + ".load_state: '" + name +
                     "' must be a whole number of steps within +-2^53, got " + std::to_string(value));
  return static_cast<std::int64_t>(value);
}

std::vector<std::string> group_names(const char* prefix, std::size_t groups) {
  std::vector<std::string> names;
  for (std::size_t group = 0; group < groups; ++group) names.push_back(prefix + std::to_string(group));
  return names;
}

}  // namespace

LRScheduler::LRScheduler(Optimizer& optimizer) : optimizer_(optimizer) {
  for (std::size_t group = 0; group < optimizer.num_groups(); ++group)
    base_lrs_.push_back(optimizer.initial_lr(group));
}

void LRScheduler::initial_step() { step(); }

void LRScheduler::step() {
  ++last_epoch_;
  std::vector<double> rates(optimizer_.num_groups());
  for (std::size_t group = 0; group < rates.size(); ++group)
    rates[group] = next_lr(group, optimizer_.lr(group));
  for (std::size_t group = 0; group < rates.size(); ++group) optimizer_.set_lr(group, rates[group]);
  last_lr_ = rates;
}

ScheduleState LRScheduler::state() const {
  ScheduleState state{{"last_epoch", static_cast<double>(last_epoch_)}};
  for (std::size_t group = 0; group < base_lrs_.size(); ++group) {
    state.emplace_back("base_lr." + std::to_string(group), base_lrs_[group]);
    state.emplace_back("last_lr." + std::to_string(group), last_lr_[group]);
  }
  return state;
}

void LRScheduler::load_state(const ScheduleState& state) {
  std::vector<std::string> names{"last_epoch"};
  const std::size_t groups = base_lrs_.size();
  for (const auto& name : group_names("base_lr.", groups)) names.push_back(name);
  for (const auto& name : group_names("last_lr.", groups)) names.push_back(name);
  const std::vector<double> values = read_state(name(), state, names);
  last_epoch_ = count_from(name(), names[0], values[0]);
  base_lrs_.assign(values.begin() + 1, values.begin() + 1 + groups);
  last_lr_.assign(values.begin() + 1 + groups, values.end());
}

StepLR::StepLR(Optimizer& optimizer, const StepLROptions& options)
    : LRScheduler(optimizer), options_(options) {
  if (options.step_size <= 0)
    throw ValueError("StepLR: step_size must be positive, got " + std::to_string(options.step_size));
  initial_step();
}

double StepLR::next_lr(std::size_t, double current) const {
  if (last_epoch_ == 0 || last_epoch_ % options_.step_size != 0) return current;
  return current * options_.gamma;
}

ExponentialLR::ExponentialLR(Optimizer& optimizer, const ExponentialLROptions& options)
    : LRScheduler(optimizer), options_(options) {
  initial_step();
}

double ExponentialLR::next_lr(std::size_t, double current) const {
  return last_epoch_ == 0 ? current : current * options_.gamma;
}

CosineAnnealingLR::CosineAnnealingLR(Optimizer& optimizer, const CosineAnnealingLROptions& options)
    : LRScheduler(optimizer), options_(options) {
  if (options.T_max <= 0)
    throw ValueError("CosineAnnealingLR: T_max must be positive, got " + std::to_string(options.T_max));
  initial_step();
}

double CosineAnnealingLR::next_lr(std::size_t group, double current) const {
  // PyTorch's recursive form, so that it composes with other schedules (the closed form
  // eta_min + (base - eta_min)(1 + cos(pi t / T_max))/2 when it runs alone).
  const double pi = std::numbers::pi;
  const auto t = static_cast<double>(last_epoch_), period = static_cast<double>(options_.T_max);
  const double eta_min = options_.eta_min;
  if (last_epoch_ == 0) return current;
  if ((last_epoch_ - 1 - options_.T_max) % (2 * options_.T_max) == 0)  // the bottom of the cosine
    return current + (base_lrs_[group] - eta_min) * (1 - std::cos(pi / period)) / 2;
  return (1 + std::cos(pi * t / period)) / (1 + std::cos(pi * (t - 1) / period)) *
             (current - eta_min) + eta_min;
}

LinearLR::LinearLR(Optimizer& optimizer, const LinearLROptions& options)
    : LRScheduler(optimizer), options_(options) {
  // A start factor of 0 would freeze the chainable form at 0 (PyTorch allows it and stays at 0).
  if (!(options.start_factor > 0 && options.start_factor <= 1))
    throw ValueError("LinearLR: start_factor must be in (0, 1], got " + std::to_string(options.start_factor));
  if (!(options.end_factor >= 0 && options.end_factor <= 1))
    throw ValueError("LinearLR: end_factor must be in [0, 1], got " + std::to_string(options.end_factor));
  if (options.total_iters <= 0)
    throw ValueError("LinearLR: total_iters must be positive, got " + std::to_string(options.total_iters));
  initial_step();
}

double LinearLR::next_lr(std::size_t, double current) const {
  const double start = options_.start_factor, end = options_.end_factor;
  if (last_epoch_ == 0) return current * start;
  if (last_epoch_ > options_.total_iters) return current;
  // The ratio of consecutive factors of start + (end - start) * t / total_iters.
  return current * (1. + (end - start) / (static_cast<double>(options_.total_iters) * start +
                                          static_cast<double>(last_epoch_ - 1) * (end - start)));
}

ReduceLROnPlateau::ReduceLROnPlateau(Optimizer& optimizer, const ReduceLROnPlateauOptions& options)
    : optimizer_(optimizer), options_(options) {
  if (!(options.factor < 1 && options.factor > 0))
    throw ValueError("ReduceLROnPlateau: factor must be in (0, 1), got " + std::to_string(options.factor));
  if (options.patience < 0 || options.cooldown < 0 || !(options.threshold >= 0) || !(options.min_lr >= 0))
    throw ValueError("ReduceLROnPlateau: patience, cooldown, threshold and min_lr must be non-negative");
  best_ = options.maximize ? -std::numeric_limits<double>::infinity()
                           : std::numeric_limits<double>::infinity();
  for (std::size_t group = 0; group < optimizer.num_groups(); ++group)
    last_lr_.push_back(optimizer.lr(group));
}

bool ReduceLROnPlateau::is_better(double value) const {
  const double threshold = options_.threshold;
  if (options_.maximize)
    return options_.relative_threshold ? value > best_ * (1 + threshold) : value > best_ + threshold;
  return options_.relative_threshold ? value < best_ * (1 - threshold) : value < best_ - threshold;
}

void ReduceLROnPlateau::step(double metric) {
  ++last_epoch_;
  if (is_better(metric)) {
    best_ = metric;
    num_bad_epochs_ = 0;
  } else {
    ++num_bad_epochs_;
  }
  if (cooldown_counter_ > 0) {
    --cooldown_counter_;
    num_bad_epochs_ = 0;  // bad steps during the cooldown do not count
  }
  if (num_bad_epochs_ > options_.patience) {
    for (std::size_t group = 0; group < optimizer_.num_groups(); ++group) {
      const double old_lr = optimizer_.lr(group);
      const double new_lr = std::max(old_lr * options_.factor, options_.min_lr);
      if (old_lr - new_lr > options_.eps) optimizer_.set_lr(group, new_lr);
    }
    cooldown_counter_ = options_.cooldown;
    num_bad_epochs_ = 0;
  }
  for (std::size_t group = 0; group < optimizer_.num_groups(); ++group)
    last_lr_[group] = optimizer_.lr(group);
}

ScheduleState ReduceLROnPlateau::state() const {
  ScheduleState state{{"best", best_},
                      {"num_bad_epochs", static_cast<double>(num_bad_epochs_)},
                      {"cooldown_counter", static_cast<double>(cooldown_counter_)},
                      {"last_epoch", static_cast<double>(last_epoch_)}};
  for (std::size_t group = 0; group < last_lr_.size(); ++group)
    state.emplace_back("last_lr." + std::to_string(group), last_lr_[group]);
  return state;
}

void ReduceLROnPlateau::load_state(const ScheduleState& state) {
  std::vector<std::string> names{"best", "num_bad_epochs", "cooldown_counter", "last_epoch"};
  for (const auto& name : group_names("last_lr.", last_lr_.size())) names.push_back(name);
  const std::vector<double> values = read_state(name(), state, names);
  // Every count converted before anything changes: a bad one leaves the schedule as it was.
  const std::int64_t num_bad_epochs = count_from(name(), names[1], values[1]);
  const std::int64_t cooldown_counter = count_from(name(), names[2], values[2]);
  const std::int64_t last_epoch = count_from(name(), names[3], values[3]);
  best_ = values[0];
  num_bad_epochs_ = num_bad_epochs;
  cooldown_counter_ = cooldown_counter;
  last_epoch_ = last_epoch;
  last_lr_.assign(values.begin() + 4, values.end());
}

}  // namespace recur::optim
