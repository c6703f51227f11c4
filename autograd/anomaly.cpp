#include "autograd/anomaly.hpp"

#include <cmath>
#include <vector>

namespace recur {
namespace {
thread_local bool anomaly_enabled = false;
// The names of the open ModuleScopes, outermost first. Views: a scope's name outlives it.
thread_local std::vector<std::string_view> scope_names;
}  // namespace

bool anomaly_detection_enabled() { return anomaly_enabled; }

void set_detect_anomaly(bool enabled) { anomaly_enabled = enabled; }

AnomalyModeGuard::AnomalyModeGuard(bool enabled) : previous_(anomaly_enabled) {
  anomaly_enabled = enabled;
}

AnomalyModeGuard::~AnomalyModeGuard() { anomaly_enabled = previous_; }

ModuleScope::ModuleScope(std::string_view name) {
  if (!anomaly_enabled || name.empty()) return;
  scope_names.push_back(name);
  pushed_ = true;
}

ModuleScope::~ModuleScope() {
  if (pushed_) scope_names.pop_back();
}

std::string current_module_scope() {
  std::string path;
  for (std::string_view name : scope_names) {
    if (!path.empty()) path += '.';
    path += name;
  }
  return path;
}

namespace detail {

char first_non_finite(const float* data, std::size_t size, std::size_t& position) {
  for (std::size_t i = 0; i < size; ++i) {
    if (std::isfinite(data[i])) continue;
    position = i;
    return std::isnan(data[i]) ? 'N' : 'I';
  }
  return 0;
}

}  // namespace detail
}  // namespace recur
