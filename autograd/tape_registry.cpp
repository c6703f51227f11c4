#include "autograd/tape_registry.hpp"

#include <deque>
#include <mutex>
#include <vector>

namespace recur::detail {
namespace {

// The slots live in a deque (appending never moves them) owned by a registry that is never
// destroyed: a Var in static storage may still be checked while the program exits.
struct Registry {
  std::mutex mutex;
  std::deque<TapeSlot> slots;
  std::vector<TapeSlot*> free;
};

Registry& registry() {
  static Registry* instance = new Registry();  // intentionally never deleted (see above)
  return *instance;
}

}  // namespace

std::uint64_t next_tape_generation() {
  static std::atomic<std::uint64_t> counter{1};
  return counter.fetch_add(1, std::memory_order_relaxed);
}

TapeSlot* acquire_tape_slot(Tape* tape, std::uint64_t generation) {
  Registry& all = registry();
  TapeSlot* slot = nullptr;
  {
    const std::lock_guard<std::mutex> lock(all.mutex);
    if (all.free.empty()) {
      slot = &all.slots.emplace_back();
    } else {
      slot = all.free.back();
      all.free.pop_back();
    }
  }
  slot->tape.store(tape, std::memory_order_relaxed);
  slot->first_generation.store(generation, std::memory_order_relaxed);
  slot->generation.store(generation, std::memory_order_release);
  return slot;
}

void release_tape_slot(TapeSlot* slot) {
  slot->generation.store(0, std::memory_order_release);
  slot->tape.store(nullptr, std::memory_order_relaxed);
  Registry& all = registry();
  const std::lock_guard<std::mutex> lock(all.mutex);
  all.free.push_back(slot);
}

std::string dead_var_message(const TapeSlot& slot, std::uint64_t generation, const char* op) {
  // A slot handed to a newer tape starts at a generation above every generation of the tape it
  // held before, so an older generation than the slot's first one means that tape is gone.
  const std::uint64_t current = slot.generation.load(std::memory_order_acquire);
  const bool destroyed =
      current == 0 || generation < slot.first_generation.load(std::memory_order_relaxed);
  if (destroyed)
    return std::string(op) + ": this Var's Tape was destroyed; a Var is a handle into its tape, "
                             "so keep the tape alive while you use the Var, or copy out its "
                             "value() (a Tensor) before the tape goes";
  return std::string(op) + ": this Var's tape was cleared after it was computed; run the forward "
                           "pass again, or copy out its value() before tape.clear()";
}

}  // namespace recur::detail
