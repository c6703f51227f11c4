// The recurrence engine (recur::recurrence) against its composite reference
// (recur::recurrence_reference, the cell's step on Vars, op by op): the outputs, the final states
// and the gradients of every input equal, for every built-in cell, the zoo's engine cells and test
// cells that exercise the other declaration forms (no recurrent matrix, two fed-back states,
// exp/log/division and three states), on sizes that cross every threshold the engine switches on:
// batch 1 and 3 (the input projected before the loop) and above, weight gradients added step by
// step (in blocks of rows from batch 32) and after the loop, the weights used by two runs on one
// tape (their gradients added up), padded batches with several shorter sequences in any order, both
// directions, given and zero initial states, the projection and the recurrent mask. Then a
// finite-difference gradcheck of the engine on small sizes.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <span>
#include <string>
#include <vector>

#include "autograd/cell_kernels.hpp"
#include "autograd/gradcheck.hpp"
#include "autograd/no_grad.hpp"
#include "autograd/ops/elementwise.hpp"
#include "autograd/ops/recurrence.hpp"
#include "autograd/ops/reductions.hpp"
#include "autograd/ops/shape_ops.hpp"
#include "autograd/tape.hpp"
#include "core/random.hpp"
#include "docs/snippets/peephole_lstm.hpp"
#include "core/error.hpp"
#include "core/threads.hpp"
#include "layers/builtin_cells.hpp"
#include "layers/gru.hpp"
#include "layers/recurrent.hpp"
#include "layers/zoo/cifg_lstm.hpp"
#include "layers/zoo/cornn.hpp"
#include "layers/zoo/indrnn.hpp"
#include "layers/zoo/min_gru.hpp"
#include "layers/zoo/min_lstm.hpp"
#include "layers/zoo/slstm.hpp"
#include "support/check.hpp"

namespace {

using recur::IndexTensor;
using recur::Tensor;
using recur::Var;
using recur::cell::CellSpec;

// IndRNN's form: no recurrent matrix; h enters through a per-unit weight in the step.
struct DiagonalCell {
  static constexpr const char* name = "DiagonalCell";
  static constexpr std::size_t gates = 1;
  static constexpr std::array<const char*, 1> states{"h"};
  static constexpr std::array<const char*, 1> vectors{"weight_u"};
  static constexpr recur::cell::Recurrence recurrence = recur::cell::Recurrence::none;
  static auto step(const auto& in) {
    const auto& [z] = in.gates;
    const auto& [h] = in.state;
    const auto& [u] = in.vectors;
    return std::tuple{tanh(z + u * h)};
  }
};

// coRNN's form: two states, both fed back through W_hh [G, 2H]; a separate recurrence.
struct TwoStateCell {
  static constexpr const char* name = "TwoStateCell";
  static constexpr std::size_t gates = 2;
  static constexpr std::array<const char*, 2> states{"y", "z"};
  static constexpr std::size_t recurrent_states = 2;
  static constexpr recur::cell::Recurrence recurrence = recur::cell::Recurrence::separate;
  static auto step(const auto& in) {
    const auto& [a, b] = in.gates;
    const auto& [ha, hb] = in.hidden;
    const auto& [y, z] = in.state;
    const auto z_next = z + 0.5f * (tanh(a + ha) - y) - 0.1f * z * sigmoid(b + hb);
    return std::tuple{y + 0.5f * z_next, z_next};
  }
};

// Exponentials, logarithms and a quotient, three states, two vectors.
struct ExpCell {
  static constexpr const char* name = "ExpCell";
  static constexpr std::size_t gates = 3;
  static constexpr std::array<const char*, 3> states{"h", "n", "m"};
  static constexpr std::array<const char*, 2> vectors{"weight_a", "weight_b"};
  static auto step(const auto& in) {
    const auto& [p, q, r] = in.gates;
    const auto& [h, n, m] = in.state;
    const auto& [a, b] = in.vectors;
    const auto n_next = sigmoid(q) * n + exp(tanh(p) - 1.0f);
    const auto m_next = log(1.0f + exp(a * m)) * 0.5f + b * tanh(r);
    return std::tuple{(m_next + h * 0.25f) / (1.0f + n_next), n_next, m_next};
  }
};

// Bad declarations.
struct ForgetsAState {  // declares h and c, returns only h
  static constexpr const char* name = "ForgetsAState";
  static constexpr std::size_t gates = 1;
  static constexpr std::array<const char*, 2> states{"h", "c"};
  static auto step(const auto& in) {
    const auto& [z] = in.gates;
    return std::tuple{tanh(z)};
  }
};
struct NoGates {
  static constexpr const char* name = "NoGates";
  static constexpr std::size_t gates = 0;
  static constexpr std::array<const char*, 1> states{"h"};
  static auto step(const auto& in) {
    const auto& [h] = in.state;
    return std::tuple{h};
  }
};
struct ResizesAPeephole : PeepholeLSTM {  // an initialise hook that changes a shape
  static constexpr const char* name = "ResizesAPeephole";
  static void initialise(recur::nn::CellParameters& p) { p.vectors[1]->resize({3}); }
};
struct ReadsH {  // a GRU-like cell: its step reads h, so it cannot take a projection
  static constexpr const char* name = "ReadsH";
  static constexpr std::size_t gates = 1;
  static constexpr std::array<const char*, 1> states{"h"};
  static auto step(const auto& in) {
    const auto& [z] = in.gates;
    const auto& [h] = in.state;
    return std::tuple{0.5f * (tanh(z) + h)};
  }
};

struct Case {
  const char* name;
  const CellSpec* cell;
};

std::vector<Case> cells() {
  return {{"RNN tanh", &recur::nn::detail::rnn_tanh_spec()},
          {"RNN relu", &recur::nn::detail::rnn_relu_spec()},
          {"LSTM", &recur::nn::detail::lstm_spec()},
          {"GRU", &recur::nn::detail::gru_spec()},
          {"PeepholeLSTM", &recur::cell::spec<PeepholeLSTM>()},
          {"DiagonalCell", &recur::cell::spec<DiagonalCell>()},
          {"TwoStateCell", &recur::cell::spec<TwoStateCell>()},
          {"ExpCell", &recur::cell::spec<ExpCell>()},
          {"CIFGLSTM", &recur::nn::detail::cifg_lstm_spec()},
          {"IndRNN relu", &recur::nn::detail::indrnn_relu_spec()},
          {"IndRNN tanh", &recur::nn::detail::indrnn_tanh_spec()},
          {"MinGRU", &recur::nn::detail::min_gru_spec()},
          {"MinLSTM", &recur::nn::detail::min_lstm_spec()},
          {"CoRNN", &recur::nn::detail::cornn_spec()},
          {"SLSTM", &recur::nn::detail::slstm_spec()}};
}

struct Config {
  std::size_t T, B, I, H;
  bool reverse = false;
  std::vector<std::int64_t> lengths;  // empty: every sequence T steps
  bool initial = false;               // initial states given (else zeros)
  std::size_t proj = 0;               // projection width, 0 for none
  bool mask = false;                  // a recurrent mask
  bool twice = false;                 // a second run with the same inputs, the other way
};

std::string describe(const Config& c) {
  std::string text = "T " + std::to_string(c.T) + " B " + std::to_string(c.B) + " I " +
                     std::to_string(c.I) + " H " + std::to_string(c.H) +
                     (c.reverse ? " reverse" : " forward");
  if (!c.lengths.empty()) text += " lengths";
  if (c.initial) text += " initial";
  if (c.proj) text += " proj " + std::to_string(c.proj);
  if (c.mask) text += " mask";
  if (c.twice) text += " twice";
  return text;
}

// The inputs of one run, as plain tensors, and where each goes in RecurrenceInputs.
struct Values {
  std::vector<Tensor> tensors;
  int weight_hh = -1, bias_ih = -1, bias_hh = -1, weight_hr = -1, mask = -1;
  std::vector<int> initial, vectors;
  IndexTensor lengths;
  bool has_lengths = false;
};

Values random_values(const CellSpec& cell, const Config& c, std::uint64_t seed) {
  recur::Generator gen(seed);
  const std::size_t G = cell.gates * c.H, P = c.proj ? c.proj : c.H;
  const bool product = cell.recurrence != recur::cell::Recurrence::none;
  const std::size_t R = product ? cell.recurrent_states : 0;
  // Weights of torch's init scale at large sizes, so pre-activations stay of order 1.
  const float w = std::min(0.6f, 2.0f / std::sqrt(static_cast<float>(c.I + R * P)));
  Values v;
  const auto add = [&](Tensor t) {
    v.tensors.push_back(std::move(t));
    return static_cast<int>(v.tensors.size() - 1);
  };
  add(gen.uniform({c.T, c.B, c.I}, -1.0f, 1.0f));
  add(gen.uniform({G, c.I}, -w, w));
  v.bias_ih = add(gen.uniform({G}, -0.5f, 0.5f));
  if (product) {
    v.weight_hh = add(gen.uniform({G, R * P}, -w, w));
    v.bias_hh = add(gen.uniform({G}, -0.5f, 0.5f));
  }
  if (c.proj) {
    const float bound = 1.0f / std::sqrt(static_cast<float>(c.H));  // torch's init scale
    v.weight_hr = add(gen.uniform({P, c.H}, -bound, bound));
  }
  if (c.mask) {
    Tensor mask = gen.uniform({c.B, P}, 0.0f, 1.0f);
    for (float& m : mask) m = m < 0.3f ? 0.0f : 1.0f / 0.7f;
    v.mask = add(mask);
  }
  if (c.initial)
    for (std::size_t k = 0; k < cell.states; ++k)
      v.initial.push_back(add(std::string(cell.name) == "SLSTM" && k == 2  // n > 0
                                  ? gen.uniform({c.B, c.H}, 0.5f, 1.5f)
                                  : gen.uniform({c.B, k == 0 ? P : c.H}, -1.0f, 1.0f)));
  for (std::size_t k = 0; k < cell.vectors; ++k)
    v.vectors.push_back(add(gen.uniform({c.H}, -0.5f, 0.5f)));
  if (!c.lengths.empty()) {
    v.has_lengths = true;
    v.lengths = IndexTensor(recur::Shape{c.B});
    for (std::size_t b = 0; b < c.B; ++b) v.lengths(b) = c.lengths[b];
  }
  return v;
}

recur::RecurrenceInputs inputs_of(const Values& v, std::span<const Var> vars, bool reverse) {
  recur::RecurrenceInputs in;
  const auto at = [&](int index) {
    return index < 0 ? Var() : vars[static_cast<std::size_t>(index)];
  };
  in.input = vars[0];
  in.weight_ih = vars[1];
  in.bias_ih = at(v.bias_ih);
  in.weight_hh = at(v.weight_hh);
  in.bias_hh = at(v.bias_hh);
  in.weight_hr = at(v.weight_hr);
  in.recurrent_mask = at(v.mask);
  for (std::size_t k = 0; k < v.initial.size(); ++k) in.initial[k] = at(v.initial[k]);
  for (std::size_t k = 0; k < v.vectors.size(); ++k) in.vectors[k] = at(v.vectors[k]);
  in.lengths = v.has_lengths ? &v.lengths : nullptr;
  in.reverse = reverse;
  return in;
}

// One scalar from the output and every final state, each through a fixed random projection, so
// every element's gradient differs.
Var projected_loss(const recur::RecurrenceResult& r, const CellSpec& cell) {
  recur::Tape& tape = r.output.tape();
  Var loss = recur::sum(recur::mul(
      r.output, tape.input(recur::Generator(11).uniform(
                    {r.output.dim(0), r.output.dim(1), r.output.dim(2)}, -1.0f, 1.0f))));
  for (std::size_t k = 0; k < cell.states; ++k) {
    const Var& f = r.final[k];
    const Var weights =
        tape.input(recur::Generator(20 + k).uniform({f.dim(0), f.dim(1)}, -1.0f, 1.0f));
    loss = recur::add(loss, recur::sum(recur::mul(f, weights)));
  }
  return loss;
}

struct Run {
  std::vector<Tensor> values;  // output, then each final state
  std::vector<Tensor> grads;   // of every input but the mask
};

Run run(const CellSpec& cell, const Values& v, const Config& c, bool reference) {
  recur::Tape tape;
  std::vector<Var> vars;
  for (std::size_t i = 0; i < v.tensors.size(); ++i)
    vars.push_back(tape.input(v.tensors[i], static_cast<int>(i) != v.mask));
  const recur::RecurrenceInputs in = inputs_of(v, vars, c.reverse);
  const auto run_once = [&](const recur::RecurrenceInputs& inputs) {
    return reference ? recur::recurrence_reference(cell, inputs) : recur::recurrence(cell, inputs);
  };
  const recur::RecurrenceResult r = run_once(in);
  Var loss = projected_loss(r, cell);
  // The same weights again, the other way: the second run's gradients add to the first's.
  if (c.twice)
    loss = recur::add(loss, projected_loss(run_once(inputs_of(v, vars, !c.reverse)), cell));
  tape.backward(loss);
  Run result;
  result.values.push_back(r.output.value());
  for (std::size_t k = 0; k < cell.states; ++k) result.values.push_back(r.final[k].value());
  for (std::size_t i = 0; i < vars.size(); ++i)
    if (static_cast<int>(i) != v.mask) result.grads.push_back(vars[i].grad());
  return result;
}

// A hidden size whose weight gradients are over the engine's stepwise limit (64K floats).
std::size_t large_hidden(const CellSpec& cell, std::size_t input) {
  const std::size_t R =
      cell.recurrence == recur::cell::Recurrence::none ? 0 : cell.recurrent_states;
  std::size_t H = 64;
  while (cell.gates * H * (input + R * H) <= 64 * 1024) H += 16;
  return H + 3;  // and not a multiple of the vector width
}

std::vector<Config> configs(const CellSpec& cell) {
  const bool can_project =
      !cell.step_reads_state[0] && cell.recurrent_states == 1 &&
      cell.recurrence != recur::cell::Recurrence::none;
  const bool has_product = cell.recurrence != recur::cell::Recurrence::none;
  std::vector<Config> list;
  for (bool reverse : {false, true}) {
    list.push_back({7, 3, 4, 5, reverse});                                   // small batch
    list.push_back({6, 1, 3, 9, reverse, {}, true});                         // batch 1, h0
    list.push_back({5, 13, 17, 33, reverse, {}, true});                      // blocks + tails
    list.push_back({6, 5, 4, 12, reverse, {6, 2, 5, 1, 6}, true});           // padded, unsorted
    list.push_back({5, 7, 3, 8, reverse, {2, 5, 5, 3, 1, 4, 2}});            // padded, zeros
    list.push_back({4, 2, 3, 6, reverse, {1, 4}});                           // padded, small
    list.push_back({5, 1, 3, 64, reverse, {}, true});                        // units split
    list.push_back({6, 3, 4, 96, reverse, {6, 2, 4}});                       // units, padded
    list.push_back({5, 26, 6, 16, reverse, {5, 1, 4, 5, 2, 3, 5, 5, 1, 2, 4, 3, 5, 5, 2, 1, 3,
                                            4, 5, 2, 5, 3, 1, 4, 5, 2}, true});  // rows split
    // Batches of 32 rows and more add the weight gradients in blocks of rows.
    std::vector<std::int64_t> lengths(52);
    for (std::size_t b = 0; b < lengths.size(); ++b) lengths[b] = 1 + std::int64_t(b * 7 % 3);
    list.push_back({4, 40, 5, 16, reverse, {}, true});                       // 2 blocks
    list.push_back({3, 52, 3, 8, reverse, lengths, false, 0, has_product});  // 3, padded
    list.push_back({3, 36, 4, 8, reverse, {}, true, 0, false, true});        // blocks, twice
    list.push_back({3, 6, 4, 8, reverse, {}, false, 0, false, true});        // no blocks, twice
    list.push_back({3, 5, 8, large_hidden(cell, 8), reverse, {}, true});     // after-loop dW
    list.push_back({3, 5, 8, large_hidden(cell, 8), reverse, {}, true, 0, false, true});
    list.push_back({4, 6, 8, large_hidden(cell, 8), reverse, {4, 1, 3, 4, 2, 2}, true});
    if (has_product) {
      list.push_back({6, 5, 4, 10, reverse, {}, true, 0, true});             // recurrent mask
      list.push_back({5, 4, 3, 7, reverse, {5, 3, 5, 2}, false, 0, true});   // mask + padded
      list.push_back({3, 5, 8, large_hidden(cell, 8), reverse, {3, 2, 3, 1, 3}, true, 0, true});
    }
    if (can_project) {
      list.push_back({6, 4, 3, 10, reverse, {}, true, 6});                   // projection
      list.push_back({5, 5, 3, 12, reverse, {5, 1, 4, 5, 2}, false, 5, true});
      list.push_back({3, 2, 8, large_hidden(cell, 8), reverse, {}, true, 40});
      list.push_back({3, 36, 3, 12, reverse, {}, false, 5, true});           // blocks
    }
  }
  return list;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(recurrence_engine)

// Run on one thread and on three (batch rows or hidden units split over the team, unevenly).
BOOST_AUTO_TEST_CASE(engine_equals_the_composite_reference_for_every_cell_and_path) {
  const int threads_before = recur::num_threads();
  for (int threads : {1, 3})
  for (const Case& c : cells())
    for (const Config& config : configs(*c.cell))
      BOOST_TEST_CONTEXT(c.name << " " << describe(config) << " threads " << threads) {
        recur::set_num_threads(threads);
        const Values v = random_values(*c.cell, config, 7);
        const Run engine = run(*c.cell, v, config, false);
        const Run reference = run(*c.cell, v, config, true);
        for (std::size_t i = 0; i < engine.values.size(); ++i)
          BOOST_TEST_CONTEXT((i == 0 ? std::string("output")
                                     : "final state " + std::to_string(i - 1)))
              RECUR_CHECK_CLOSE(engine.values[i], reference.values[i], 1e-5, 1e-6);
        for (std::size_t i = 0; i < engine.grads.size(); ++i)
          BOOST_TEST_CONTEXT("gradient of input " << i)
              RECUR_CHECK_CLOSE(engine.grads[i], reference.grads[i], 1e-5, 1e-5);
      }
  recur::set_num_threads(threads_before);
}

BOOST_AUTO_TEST_CASE(engine_passes_gradcheck_for_every_cell) {
  for (const Case& c : cells()) {
    const bool can_project = !c.cell->step_reads_state[0] && c.cell->recurrent_states == 1 &&
                             c.cell->recurrence != recur::cell::Recurrence::none;
    std::vector<Config> list = {{4, 2, 2, 3, false, {}, true},
                                {4, 3, 2, 3, true, {4, 2, 3}, true}};
    if (can_project) list.push_back({3, 2, 2, 4, false, {3, 2}, true, 2});
    for (const Config& config : list)
      BOOST_TEST_CONTEXT(c.name << " " << describe(config)) {
        Values v = random_values(*c.cell, config, 5);
        const std::string cell_name = c.name;
        if (cell_name == "RNN relu" || cell_name == "IndRNN relu" ||
            cell_name.rfind("Min", 0) == 0) {
          // relu's kink (and g's, in minGRU and minLSTM, at 0): keep pre-activations away
          // from 0 by more than the step.
          for (float& b : v.tensors[static_cast<std::size_t>(v.bias_ih)])
            b = b < 0 ? b - 1.0f : b + 1.0f;
          v.tensors[1] *= 0.2f;
          if (v.weight_hh >= 0) v.tensors[static_cast<std::size_t>(v.weight_hh)] *= 0.2f;
          for (int vector : v.vectors) v.tensors[static_cast<std::size_t>(vector)] *= 0.2f;
        }
        const auto result = recur::gradcheck(
            [&](std::span<const Var> in) {
              const recur::RecurrenceResult r =
                  recur::recurrence(*c.cell, inputs_of(v, in, config.reverse));
              // Every result flattened into one vector, which gradcheck projects at random.
              std::vector<Var> parts{recur::reshape(r.output, {r.output.value().size()})};
              for (std::size_t k = 0; k < c.cell->states; ++k)
                parts.push_back(recur::reshape(r.final[k], {r.final[k].value().size()}));
              return recur::concat(parts, 0);
            },
            v.tensors);
        BOOST_TEST(result.ok, result.report);
      }
  }
}

BOOST_AUTO_TEST_CASE(engine_gives_the_same_values_without_a_tape) {
  for (const Case& c : cells()) {
    const Config config{6, 4, 3, 5, true, {6, 3, 6, 1}, true};
    BOOST_TEST_CONTEXT(c.name) {
      const Values v = random_values(*c.cell, config, 9);
      recur::Tape tape;
      std::vector<Var> vars;
      for (const Tensor& t : v.tensors) vars.push_back(tape.input(t, true));
      const recur::RecurrenceResult with_grad =
          recur::recurrence(*c.cell, inputs_of(v, vars, true));
      recur::NoGradGuard no_grad;
      const recur::RecurrenceResult without = recur::recurrence(*c.cell, inputs_of(v, vars, true));
      RECUR_CHECK_CLOSE(Tensor(without.output.value()), Tensor(with_grad.output.value()), 0.0, 0.0);
      for (std::size_t k = 0; k < c.cell->states; ++k)
        RECUR_CHECK_CLOSE(Tensor(without.final[k].value()), Tensor(with_grad.final[k].value()),
                          0.0, 0.0);
    }
  }
}

BOOST_AUTO_TEST_CASE(bad_declarations_are_refused_naming_the_cell) {
  static_assert(recur::cell::Declaration<PeepholeLSTM>);
  static_assert(!recur::cell::Declaration<ForgetsAState>,
                "a step that returns fewer states than declared must not compile");
  static_assert(!recur::cell::Declaration<NoGates>);
  const auto message_of = [](auto&& build) {
    try {
      build();
    } catch (const recur::Error& error) {
      return std::string(error.what());
    }
    return std::string("no error");
  };
  std::string message = message_of([] {
    recur::nn::Recurrent<ResizesAPeephole> layer({.input_size = 2, .hidden_size = 4});
  });
  BOOST_TEST(message.find("ResizesAPeephole") != std::string::npos, message);
  BOOST_TEST(message.find("weight_cf") != std::string::npos, message);
  BOOST_TEST(message.find("[4]") != std::string::npos, message);
  message = message_of([] {
    recur::nn::RecurrentCell<ResizesAPeephole> cell({.input_size = 2, .hidden_size = 4});
  });
  BOOST_TEST(message.find("weight_cf") != std::string::npos, message);
  message = message_of([] {
    recur::nn::Recurrent<ReadsH> layer({.input_size = 2, .hidden_size = 4, .proj_size = 2});
  });
  BOOST_TEST(message.find("ReadsH") != std::string::npos, message);
  BOOST_TEST(message.find("proj_size") != std::string::npos, message);
  message = message_of([] {
    recur::nn::Recurrent<DiagonalCell> layer(
        {.input_size = 2, .hidden_size = 4, .recurrent_dropout = 0.2f});
  });
  BOOST_TEST(message.find("DiagonalCell") != std::string::npos, message);
  BOOST_TEST(message.find("recurrent_dropout") != std::string::npos, message);
  BOOST_CHECK_THROW(recur::nn::GRU({.input_size = 2, .hidden_size = 4, .num_layers = 0}),
                    recur::ValueError);
}

BOOST_AUTO_TEST_SUITE_END()
