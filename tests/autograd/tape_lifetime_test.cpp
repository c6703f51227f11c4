// A Var outliving its tape: every use of a Var whose Tape was destroyed, or cleared since the Var
// was recorded, throws recur::TapeError saying which, and reads none of the freed or reused
// memory (the sanitizer build runs these cases under AddressSanitizer).
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "autograd/ops/elementwise.hpp"
#include "autograd/ops/reductions.hpp"
#include "autograd/parameter.hpp"
#include "autograd/tape.hpp"
#include "core/error.hpp"
#include "support/check.hpp"
#include "support/errors.hpp"

using namespace recur;
using recur::test::contains;
using recur::test::error_message;

namespace {

// Values of every kind a tape hands out: an input, a zeros constant, a parameter's leaf and an
// op's output.
struct Recorded {
  Var input, zeros, parameter, output;
};

Recorded record_on(Tape& tape, Parameter& weight) {
  Recorded out;
  out.input = tape.input(full({2, 3}, 0.5f), true);
  out.zeros = tape.zeros({2, 3});
  out.parameter = tape.parameter(weight);
  out.output = tanh(mul(out.input, out.parameter));
  return out;
}

// Every way of using `var`, each of which must throw a TapeError containing `why`.
void expect_every_use_throws(const Var& var, const std::string& why) {
  const std::vector<std::pair<const char*, std::function<void()>>> uses = {
      {"value", [&] { (void)var.value(); }},
      {"grad", [&] { (void)var.grad(); }},
      {"shape", [&] { (void)var.shape(); }},
      {"requires_grad", [&] { (void)var.requires_grad(); }},
      {"tape", [&] { (void)var.tape(); }},
      {"an op", [&] { (void)tanh(var); }},
      {"an op with a live input",
       [&] {
         Tape other;
         (void)add(other.input(full({2, 3}, 1.0f)), var);
       }},
      {"backward on another tape",
       [&] {
         Tape other;
         other.backward(var);
       }},
  };
  for (const auto& [use, call] : uses) {
    const std::string message = error_message<TapeError>(call);
    BOOST_TEST(contains(message, why), use << ": " << message);
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(tape_lifetime)

BOOST_AUTO_TEST_CASE(every_var_of_a_destroyed_tape_throws_destroyed) {
  Parameter weight(full({2, 3}, 2.0f));
  Recorded values;
  {
    auto tape = std::make_unique<Tape>();  // on the heap, so ASan sees any read after the free
    values = record_on(*tape, weight);
    BOOST_TEST(values.output.value()(0, 0) == std::tanh(1.0f));  // live: reads fine
  }
  for (const Var* var : {&values.input, &values.zeros, &values.parameter, &values.output})
    expect_every_use_throws(*var, "Tape was destroyed");
  BOOST_TEST(values.output.defined());  // still a non-empty handle, just a dead one
}

BOOST_AUTO_TEST_CASE(a_new_tape_in_the_freed_slot_does_not_revive_old_vars) {
  // The registry hands the destroyed tape's slot to the next tape (and the allocator likely its
  // address): the old Var must read as destroyed, not as a value of the new tape, even when the
  // new tape has recorded more nodes than the old Var's index.
  Parameter weight(full({2, 3}, 2.0f));
  Var old;
  {
    Tape tape;
    old = record_on(tape, weight).output;
  }
  Tape successor;
  const Recorded fresh = record_on(successor, weight);
  (void)record_on(successor, weight);
  BOOST_TEST(successor.size() > old.index());
  expect_every_use_throws(old, "Tape was destroyed");
  const std::string mixed = error_message<TapeError>([&] { (void)add(fresh.output, old); });
  BOOST_TEST(contains(mixed, "Tape was destroyed"), mixed);
  // The successor itself works: d/dx sum(tanh(x * w)) = w (1 - tanh^2(x w)).
  successor.backward(sum(fresh.output));
  const float expected = 2.0f * (1.0f - std::tanh(1.0f) * std::tanh(1.0f));
  RECUR_CHECK_CLOSE(fresh.input.grad(), full({2, 3}, expected), 1e-6, 1e-7);
}

BOOST_AUTO_TEST_CASE(every_var_recorded_before_a_clear_throws_cleared) {
  Parameter weight(full({2, 3}, 2.0f));
  Tape tape;
  const Recorded before = record_on(tape, weight);
  tape.clear();
  // The tape records again: the old indices are valid node indices of the new step, holding
  // different values, which is exactly what the generation check must not confuse.
  const Recorded after = record_on(tape, weight);
  for (const Var* var : {&before.input, &before.zeros, &before.parameter, &before.output})
    expect_every_use_throws(*var, "tape was cleared");
  const std::string mixed =
      error_message<TapeError>([&] { (void)add(after.output, before.input); });
  BOOST_TEST(contains(mixed, "tape was cleared"), mixed);
  BOOST_TEST(after.output.value()(1, 2) == std::tanh(1.0f));
}

BOOST_AUTO_TEST_CASE(release_memory_invalidates_like_clear) {
  Parameter weight(full({2, 3}, 2.0f));
  Tape tape;
  const Var output = record_on(tape, weight).output;
  tape.release_memory();
  BOOST_TEST(tape.memory_bytes() == 0u);
  expect_every_use_throws(output, "tape was cleared");
}

BOOST_AUTO_TEST_CASE(a_parameter_used_on_a_destroyed_tape_gets_a_fresh_leaf_on_the_next) {
  // Tape::parameter remembers where the parameter's leaf is; that memory must not make a new
  // tape reuse a leaf index of a destroyed one.
  Parameter weight(full({2, 3}, 2.0f));
  {
    Tape first;
    (void)first.parameter(weight);
  }
  Tape second;
  const Var x = second.input(full({2, 3}, 3.0f));
  const Var w = second.parameter(weight);
  BOOST_TEST(w.value()(0, 0) == 2.0f);
  second.backward(sum(mul(x, w)));
  RECUR_CHECK_CLOSE(weight.grad, full({2, 3}, 3.0f), 0.0, 0.0);
}

BOOST_AUTO_TEST_CASE(messages_say_what_to_do) {
  Var dead;
  {
    Tape tape;
    dead = tape.input(full({1}, 1.0f));
  }
  const std::string destroyed = error_message<TapeError>([&] { (void)dead.value(); });
  BOOST_TEST(contains(destroyed, "keep the tape alive"), destroyed);
  Tape tape;
  const Var stale = tape.input(full({1}, 1.0f));
  tape.clear();
  const std::string cleared = error_message<TapeError>([&] { (void)exp(stale); });
  BOOST_TEST(contains(cleared, "exp:"), cleared);
  BOOST_TEST(contains(cleared, "run the forward pass again"), cleared);
}

BOOST_AUTO_TEST_SUITE_END()
