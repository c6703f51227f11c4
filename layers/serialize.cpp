#include "layers/serialize.hpp"

#include <algorithm>
#include <map>
#include <vector>

#include "core/error.hpp"

namespace recur::nn {

void save(Module& module, const std::string& path) { save_npz(path, state_dict(module)); }

void load(Module& module, const std::string& path) {
  // load_npz reads the whole archive or throws, so a damaged file never reaches the module.
  load_state_dict(module, load_npz(path), path);
}

NpzEntries state_dict(Module& module) {
  NpzEntries entries;
  for (auto& [name, parameter] : module.named_parameters())
    entries.emplace_back(name, NpyArray::from_tensor(parameter->value));
  return entries;
}

void load_state_dict(Module& module, const NpzEntries& entries, const std::string& source) {
  // Check everything first and report every problem at once: fixing one mismatch per run
  // is how a user learns to hate a loader.
  std::map<std::string, const NpyArray*> by_name;
  std::vector<std::string> problems;
  for (const auto& [name, array] : entries)
    if (!by_name.emplace(name, &array).second) problems.push_back("duplicate entry '" + name + "'");

  const auto parameters = module.named_parameters();
  std::vector<std::pair<Parameter*, const NpyArray*>> plan;
  for (const auto& [name, parameter] : parameters) {
    const Shape expected = shape_of(parameter->value);
    const auto found = by_name.find(name);
    if (found == by_name.end()) {
      problems.push_back("missing '" + name + "' (the model expects float32 " +
                         shape_str(expected) + ")");
      continue;
    }
    const NpyArray& array = *found->second;
    if (array.dtype != DType::float32)
      problems.push_back("'" + name + "' has dtype " + dtype_name(array.dtype) +
                         ", expected float32 (convert it with .astype(numpy.float32))");
    if (array.shape != expected)
      problems.push_back("'" + name + "' has shape " + shape_str(array.shape) +
                         ", the model expects " + shape_str(expected));
    plan.emplace_back(parameter, &array);
  }
  for (const auto& entry_of_file : by_name) {
    // Plain names, not structured bindings: clang 14 cannot capture those in a lambda.
    const std::string& name = entry_of_file.first;
    const NpyArray* array = entry_of_file.second;
    const bool known = std::any_of(parameters.begin(), parameters.end(),
                                   [&](const auto& entry) { return entry.first == name; });
    if (!known)
      problems.push_back("unexpected '" + name + "' " + shape_str(array->shape) +
                         " (the model has no parameter of that name)");
  }
  if (!problems.empty()) {
    std::string message = "load: " + source + " does not fit the model (" +
                          std::to_string(problems.size()) +
                          (problems.size() == 1 ? " problem" : " problems") + "):";
    for (const std::string& problem : problems) message += "\n  " + problem;
    throw IoError(message);
  }

  // Convert every array before changing any parameter, so a failure here changes nothing.
  std::vector<Tensor> values;
  values.reserve(plan.size());
  for (const auto& [parameter, array] : plan) values.push_back(array->to_tensor());
  // Copy in place (no throw): the parameter keeps its storage, which a tape may refer to.
  for (std::size_t i = 0; i < plan.size(); ++i) {
    Parameter& parameter = *plan[i].first;
    std::copy(values[i].begin(), values[i].end(), parameter.value.begin());
    parameter.bump_version();
  }
}

}  // namespace recur::nn
