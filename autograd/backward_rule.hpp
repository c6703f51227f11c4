/// @file
/// BackwardRule: the small callable an op leaves on the tape to compute its gradient.
#pragma once

#include <cstddef>
#include <cstring>
#include <new>
#include <type_traits>
#include <utility>

namespace recur {

class BackwardContext;

/// A type-erased `void(BackwardContext&)` stored inline, without a heap allocation.
///
/// A rule may capture only small, trivially copyable things (sizes, axes, scalars, pointers):
/// the tensors it needs (inputs, output, a saved mask) it reads from the tape through the
/// BackwardContext. That keeps a training step free of allocations for the rules themselves
/// (std::function allocates captures over 16 bytes) and makes it impossible to capture a copy of
/// a big tensor by accident: such a lambda does not compile.
class BackwardRule {
 public:
  /// Bytes available for the captures.
  static constexpr std::size_t capacity = 48;

  /// An empty rule (leaves and constants have none).
  BackwardRule() = default;

  /// Wraps a lambda `rule(BackwardContext&)` whose captures are small and trivially copyable.
  template <class F, class = std::enable_if_t<!std::is_same_v<std::decay_t<F>, BackwardRule>>>
  BackwardRule(F rule) {  // NOLINT: implicit on purpose, ops pass lambdas
    static_assert(std::is_trivially_copyable_v<F>,
                  "a backward rule may capture only trivially copyable values; read tensors from "
                  "the BackwardContext instead of capturing them");
    static_assert(sizeof(F) <= capacity, "a backward rule's captures must fit in 48 bytes");
    static_assert(alignof(F) <= alignof(std::max_align_t));
    new (storage_) F(std::move(rule));
    invoke_ = [](const void* storage, BackwardContext& context) {
      (*static_cast<const F*>(storage))(context);
    };
  }

  /// True when a rule is set.
  explicit operator bool() const { return invoke_ != nullptr; }

  /// Runs the rule.
  void operator()(BackwardContext& context) const { invoke_(storage_, context); }

 private:
  alignas(std::max_align_t) unsigned char storage_[capacity]{};
  void (*invoke_)(const void*, BackwardContext&) = nullptr;
};

}  // namespace recur
