/// @file
/// The registry of live tapes: how a Var finds out, without touching its tape's memory, whether
/// that tape still exists and still holds the Var's value.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

namespace recur {

class Tape;

namespace detail {

// One slot per live tape. Slots are never freed (a destroyed tape's slot goes back to a free
// list and is handed to a later tape), so a Var may always read the slot it points to, even
// after its tape is gone: that read is what makes a use after destruction detectable instead
// of undefined (and clean under AddressSanitizer).
//
// Generations come from one process-wide counter, so a generation names one tape between two
// clear()s, never two tapes. A Var is live exactly when its generation is its slot's current
// one.
struct TapeSlot {
  std::atomic<std::uint64_t> generation{0};        // the tape's current generation; 0: free
  std::atomic<std::uint64_t> first_generation{0};  // the generation the tape started with
  std::atomic<Tape*> tape{nullptr};                // the tape, while the slot is taken
};

// A fresh generation, never handed out before.
std::uint64_t next_tape_generation();

// A free slot for `tape`, starting at `generation`.
TapeSlot* acquire_tape_slot(Tape* tape, std::uint64_t generation);

// Marks the slot free: every Var of its tape reads as "destroyed" from now on.
void release_tape_slot(TapeSlot* slot);

// Why a Var of `slot` with `generation` is no longer live, as the end of an error message:
// its tape was destroyed, or cleared since the Var was computed. `op` starts the message.
std::string dead_var_message(const TapeSlot& slot, std::uint64_t generation, const char* op);

}  // namespace detail
}  // namespace recur
