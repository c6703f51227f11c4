#include "optim/checkpoint.hpp"

#include <algorithm>
#include <cstring>
#include <functional>
#include <map>
#include <set>
#include <unordered_map>

#include "core/error.hpp"
#include "core/npz.hpp"

namespace recur::optim {
namespace {

// Learning rates and schedule fields are doubles: stored as float64 so that they come back
// exactly (a float32 round trip would change the next step's update).
NpyArray f64_array(double value) {
  NpyArray array{.dtype = DType::float64, .shape = {1}, .bytes = {}};
  array.bytes.resize(sizeof(double));
  std::memcpy(array.bytes.data(), &value, sizeof(double));
  return array;
}

double f64_value(const NpyArray& array) {
  double value;
  std::memcpy(&value, array.bytes.data(), sizeof(double));
  return value;
}

// Step counts a run can reach: at most 2^53, where the doubles that schedules and bias
// corrections count in stop being exact. A larger count in a file is damage, and one beyond
// int64 would wrap negative, or overflow on the next step.
constexpr std::uint64_t kMaxStep = std::uint64_t{1} << 53;

std::string optimizer_state_prefix(const std::string& parameter_name) {
  return "optimizer.state." + parameter_name + ".";
}

std::string lr_name(std::size_t group) {
  return "optimizer.param_groups." + std::to_string(group) + ".lr";
}

std::string schedule_prefix(std::size_t index, const Schedule& schedule) {
  return "schedule." + std::to_string(index) + "." + schedule.name() + ".";
}

// The model's name of each of the optimiser's parameters, which names its state in the file.
std::vector<std::string> optimizer_parameter_names(const CheckpointParts& parts, const char* caller) {
  if (!parts.optimizer) return {};
  if (!parts.model)
    throw ValueError(std::string(caller) + ": an optimiser's state is named after the model's "
                     "parameters; give the model too");
  std::unordered_map<const Parameter*, std::string> names;
  for (const auto& [name, parameter] : parts.model->named_parameters()) names.emplace(parameter, name);
  std::vector<std::string> out;
  for (std::size_t index = 0; index < parts.optimizer->parameters().size(); ++index) {
    const auto found = names.find(parts.optimizer->parameters()[index]);
    if (found == names.end())
      throw ValueError(std::string(caller) + ": the optimiser's parameter " + std::to_string(index) +
                       " is not a parameter of the model");
    out.push_back(found->second);
  }
  return out;
}

// Checks a file's entries against what the parts expect, collecting every problem, and queues
// the assignments to run only once everything fits.
class LoadPlan {
 public:
  LoadPlan(const std::string& path, NpzEntries entries) : path_(path), entries_(std::move(entries)) {
    for (const auto& [name, array] : entries_) by_name_.emplace(name, &array);
  }

  // The entry `name` if it exists with this dtype and shape; records a problem otherwise.
  const NpyArray* take(const std::string& name, DType dtype, const Shape& shape) {
    const auto found = by_name_.find(name);
    if (found == by_name_.end()) {
      problems_.push_back("missing '" + name + "'");
      return nullptr;
    }
    return check(found, dtype, shape);
  }
  // Like take(), but an absent entry is not a problem.
  const NpyArray* take_if_present(const std::string& name, DType dtype, const Shape& shape) {
    const auto found = by_name_.find(name);
    return found == by_name_.end() ? nullptr : check(found, dtype, shape);
  }
  void problem(std::string text) { problems_.push_back(std::move(text)); }
  void then(std::function<void()> action) { actions_.push_back(std::move(action)); }

  // Throws recur::IoError listing every problem and unexpected entry; else runs the actions.
  void finish() {
    for (const auto& [name, array] : by_name_)
      if (!consumed_.count(name)) problems_.push_back("unexpected '" + name + "'");
    if (!problems_.empty()) {
      std::string text = "load_checkpoint: " + path_ + " does not fit this model/optimiser/schedule (" +
                         std::to_string(problems_.size()) + " problems): ";
      for (std::size_t i = 0; i < problems_.size(); ++i) text += (i ? "; " : "") + problems_[i];
      throw IoError(text);
    }
    for (auto& action : actions_) action();
  }

 private:
  const NpyArray* check(std::map<std::string, const NpyArray*>::iterator found, DType dtype,
                        const Shape& shape) {
    consumed_.insert(found->first);
    const NpyArray& array = *found->second;
    if (array.dtype != dtype) {
      problems_.push_back("'" + found->first + "' is " + dtype_name(array.dtype) + ", expected " +
                          dtype_name(dtype));
      return nullptr;
    }
    if (array.shape != shape) {
      problems_.push_back("'" + found->first + "' has shape " + shape_str(array.shape) +
                          ", expected " + shape_str(shape));
      return nullptr;
    }
    return &array;
  }

  std::string path_;
  NpzEntries entries_;
  std::map<std::string, const NpyArray*> by_name_;
  std::set<std::string> consumed_;
  std::vector<std::string> problems_;
  std::vector<std::function<void()>> actions_;
};

// Copies `array`'s floats into `tensor` (resized to `shape`), keeping its storage when it fits.
void assign(Tensor& tensor, const NpyArray& array, const Shape& shape) {
  if (!same_shape(tensor, shape)) tensor.resize(shape);
  std::memcpy(tensor.data(), array.bytes.data(), array.bytes.size());
}

}  // namespace

void save_checkpoint(const std::string& path, const CheckpointParts& parts, std::uint64_t step) {
  const std::vector<std::string> names = optimizer_parameter_names(parts, "save_checkpoint");
  NpzEntries entries;
  entries.emplace_back("step", NpyArray::from_u64({step}));
  if (parts.model)
    for (const auto& [name, parameter] : parts.model->named_parameters())
      entries.emplace_back(parts.model_prefix + name, NpyArray::from_tensor(parameter->value));
  if (Optimizer* optimizer = parts.optimizer) {
    for (std::size_t group = 0; group < optimizer->num_groups(); ++group)
      entries.emplace_back(lr_name(group), f64_array(optimizer->lr(group)));
    const auto buffer_names = optimizer->buffer_names();
    for (std::size_t index = 0; index < names.size(); ++index) {
      const ParameterState& state = optimizer->state(index);
      const std::string prefix = optimizer_state_prefix(names[index]);
      entries.emplace_back(prefix + "step", NpyArray::from_u64({static_cast<std::uint64_t>(state.step)}));
      for (std::size_t slot = 0; slot < buffer_names.size(); ++slot)
        if (*buffer_names[slot] && state.buffers[slot].size() > 0)
          entries.emplace_back(prefix + buffer_names[slot], NpyArray::from_tensor(state.buffers[slot]));
    }
  }
  for (std::size_t index = 0; index < parts.schedules.size(); ++index) {
    const Schedule& schedule = *parts.schedules[index];
    for (const auto& [key, value] : schedule.state())
      entries.emplace_back(schedule_prefix(index, schedule) + key, f64_array(value));
  }
  if (parts.generator) {
    const Generator::State state = parts.generator->state();
    entries.emplace_back("generator", NpyArray::from_u64({state.begin(), state.end()}));
  }
  save_npz(path, entries);
}

std::uint64_t load_checkpoint(const std::string& path, const CheckpointParts& parts) {
  const std::vector<std::string> names = optimizer_parameter_names(parts, "load_checkpoint");
  LoadPlan plan(path, load_npz(path));
  std::uint64_t step = 0;
  if (const NpyArray* array = plan.take("step", DType::uint64, {1})) step = array->to_u64()[0];

  if (parts.model)
    for (const auto& [name, named_parameter] : parts.model->named_parameters()) {
      Parameter* parameter = named_parameter;  // clang 14 cannot capture a structured binding
      const Shape shape = shape_of(parameter->value);
      if (const NpyArray* array = plan.take(parts.model_prefix + name, DType::float32, shape))
        plan.then([parameter, array, shape] {
          assign(parameter->value, *array, shape);
          parameter->bump_version();
        });
    }

  if (Optimizer* optimizer = parts.optimizer) {
    for (std::size_t group = 0; group < optimizer->num_groups(); ++group)
      if (const NpyArray* array = plan.take(lr_name(group), DType::float64, {1})) {
        const double lr = f64_value(*array);
        if (!(lr >= 0))  // as the optimisers' constructors: NaN or negative is no rate
          plan.problem("'" + lr_name(group) + "' is " + std::to_string(lr) +
                       ", not a learning rate (>= 0)");
        else
          plan.then([optimizer, group, lr] { optimizer->set_lr(group, lr); });
      }
    const auto buffer_names = optimizer->buffer_names();
    for (std::size_t index = 0; index < names.size(); ++index) {
      const std::string prefix = optimizer_state_prefix(names[index]);
      const NpyArray* step_array = plan.take(prefix + "step", DType::uint64, {1});
      if (!step_array) continue;
      const std::uint64_t stored_step = step_array->to_u64()[0];
      if (stored_step > kMaxStep) {
        plan.problem("'" + prefix + "step' is " + std::to_string(stored_step) +
                     ", more steps than a run takes (at most 2^53)");
        continue;
      }
      const auto parameter_step = static_cast<std::int64_t>(stored_step);
      const Shape shape = shape_of(optimizer->parameters()[index]->value);
      const auto used = optimizer->buffers_used(optimizer->group_of(index));
      std::array<const NpyArray*, 3> buffers{};
      for (std::size_t slot = 0; slot < buffer_names.size(); ++slot) {
        if (!*buffer_names[slot]) continue;
        const std::string name = prefix + buffer_names[slot];
        buffers[slot] = parameter_step > 0 && used[slot]
                            ? plan.take(name, DType::float32, shape)
                            : plan.take_if_present(name, DType::float32, shape);
      }
      plan.then([optimizer, index, parameter_step, buffers, shape] {
        ParameterState& state = optimizer->state(index);
        state.step = parameter_step;
        for (std::size_t slot = 0; slot < buffers.size(); ++slot) {
          if (buffers[slot])
            assign(state.buffers[slot], *buffers[slot], shape);
          else
            state.buffers[slot] = Tensor(Shape{0});  // not started yet, as when saved
        }
      });
    }
  }

  for (std::size_t index = 0; index < parts.schedules.size(); ++index) {
    Schedule* schedule = parts.schedules[index];
    const std::string prefix = schedule_prefix(index, *schedule);
    const ScheduleState current = schedule->state();
    ScheduleState state;
    for (const auto& [key, value] : current)
      if (const NpyArray* array = plan.take(prefix + key, DType::float64, {1}))
        state.emplace_back(key, f64_value(*array));
    if (state.size() != current.size()) continue;  // the missing entries are already problems
    // load_state checks the values (a step count must be a whole number): try it now and put
    // the current state back, so that a bad value is one more problem listed rather than an
    // error thrown halfway through the assignments.
    try {
      schedule->load_state(state);
      schedule->load_state(current);
      plan.then([schedule, state] { schedule->load_state(state); });
    } catch (const ValueError& error) {
      plan.problem(std::string(error.what()) + " (in the entries " + prefix + "*)");
    }
  }

  if (Generator* generator = parts.generator) {
    if (const NpyArray* array = plan.take("generator", DType::uint64, {4})) {
      const std::vector<std::uint64_t> words = array->to_u64();
      const Generator::State state{words[0], words[1], words[2], words[3]};
      if (std::all_of(state.begin(), state.end(), [](std::uint64_t word) { return word == 0; }))
        plan.problem("'generator' holds the all-zero state, which no generator reaches");
      else
        plan.then([generator, state] { generator->set_state(state); });
    }
  }
  plan.finish();
  return step;
}

}  // namespace recur::optim
