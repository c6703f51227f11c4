/// @file
/// Anomaly detection: an opt-in mode in which the first op that produces a NaN or an Inf, in
/// its output or in a gradient it computes, throws an error naming the op, its input shapes and
/// the module it ran in. Like `torch.autograd.set_detect_anomaly(True)`, and thread-local.
#pragma once

#include <string>
#include <string_view>

#include "core/error.hpp"

namespace recur {

/// What anomaly mode throws: a value that is not finite, with where it first appeared.
class AnomalyError : public Error {
 public:
  using Error::Error;
};

/// True when anomaly detection is on for this thread (off by default).
bool anomaly_detection_enabled();

/// Turns anomaly detection on or off for this thread.
/// @param enabled On (true) or off.
/// @code
/// recur::set_detect_anomaly(true);
/// tape.backward(loss);   // throws recur::AnomalyError at the first NaN/Inf, naming the op
/// @endcode
void set_detect_anomaly(bool enabled);

/// Anomaly detection on (or off) for this thread within the guard's lifetime.
/// @code
/// {
///   recur::AnomalyModeGuard anomaly;   // checks every op's output and every gradient
///   recur::Var loss = model_loss(tape.input(x));
///   tape.backward(loss);
/// }
/// @endcode
/// @see @ref debugging "Finding NaNs and bad steps".
class AnomalyModeGuard {
 public:
  /// Sets anomaly detection to `enabled` until the guard is destroyed.
  explicit AnomalyModeGuard(bool enabled = true);
  ~AnomalyModeGuard();
  AnomalyModeGuard(const AnomalyModeGuard&) = delete;
  AnomalyModeGuard& operator=(const AnomalyModeGuard&) = delete;

 private:
  bool previous_;
};

/// Marks the ops recorded in its lifetime as run inside the module named `name`; nested scopes
/// join into a dotted path (`encoder.lstm`), which anomaly errors name. Modules open one in
/// their call operator. Costs one thread-local test when anomaly detection is off.
class ModuleScope {
 public:
  /// Enters `name`, which must outlive the scope (a module's own name string); an empty name
  /// (a top-level model) adds nothing to the path.
  explicit ModuleScope(std::string_view name);
  ~ModuleScope();
  ModuleScope(const ModuleScope&) = delete;
  ModuleScope& operator=(const ModuleScope&) = delete;

 private:
  bool pushed_ = false;
};

/// The dotted path of the ModuleScopes open on this thread (empty outside any module, or when
/// anomaly detection was off as they opened).
std::string current_module_scope();

namespace detail {

/// The first element that is not finite: 'N' for NaN, 'I' for an infinity, 0 if all are finite;
/// `position` receives its flat index.
char first_non_finite(const float* data, std::size_t size, std::size_t& position);

}  // namespace detail

}  // namespace recur
