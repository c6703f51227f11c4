/// @file
/// Scopes in which ops compute values but record no gradient information.
#pragma once

namespace recur {

/// True unless a NoGradGuard is alive on this thread.
bool grad_enabled();

/// Within its lifetime, ops on this thread record values only (no inputs, no backward rules),
/// so inference costs no gradient bookkeeping. Like `torch.no_grad()`.
/// @code
/// {
///   recur::NoGradGuard no_grad;
///   recur::Var logits = model(tape.input(x));   // nothing to backpropagate
/// }
/// @endcode
class NoGradGuard {
 public:
  NoGradGuard();
  ~NoGradGuard();
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};

}  // namespace recur
