// The fused sequence node (layers/fused_sequence.hpp) against the composite cell_step() ops it
// replaces: same values, same gradients for every input, for each cell kind and direction; plus
// a finite-difference gradcheck of the fused node itself.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <span>
#include <string>
#include <vector>

#include "autograd/gradcheck.hpp"
#include "autograd/no_grad.hpp"
#include "autograd/ops/elementwise.hpp"
#include "autograd/ops/linalg.hpp"
#include "autograd/ops/reductions.hpp"
#include "autograd/ops/shape_ops.hpp"
#include "autograd/tape.hpp"
#include "core/error.hpp"
#include "core/random.hpp"
#include "layers/cell_steps.hpp"
#include "layers/fused_sequence.hpp"
#include "support/check.hpp"

namespace {

using recur::Tensor;
using recur::Var;
using recur::nn::detail::CellKind;

const CellKind kinds[] = {CellKind::rnn_tanh, CellKind::rnn_relu, CellKind::lstm, CellKind::gru};

std::string name_of(CellKind kind) {
  switch (kind) {
    case CellKind::rnn_tanh: return "rnn_tanh";
    case CellKind::rnn_relu: return "rnn_relu";
    case CellKind::lstm: return "lstm";
    case CellKind::gru: return "gru";
  }
  return "?";
}

// Inputs, in the fused node's own order: x [T*B, I], h0 [B, H], weight_hh [G, H],
// weight_ih [G, I], bias_x [G], then c0 [B, H] (LSTM) or bias_hh [G] (GRU).

// The same computation with linear() and the composite cell_step() ops, laid out like
// fused_sequence's result: [T*B, H], plus the final c rows for the LSTM.
Var composite(CellKind kind, std::span<const Var> in, std::size_t T, bool reverse) {
  const std::size_t B = in[1].dim(0);
  const bool is_lstm = kind == CellKind::lstm, is_gru = kind == CellKind::gru;
  const Var gates_x = recur::linear(in[0], in[3], in[4]);
  recur::nn::detail::StepState state{in[1], is_lstm ? in[5] : Var()};
  const recur::nn::detail::StepWeights weights{in[2], is_gru ? in[5] : Var(), Var()};
  std::vector<Var> outputs(T);
  for (std::size_t n = 0; n < T; ++n) {
    const std::size_t t = reverse ? T - 1 - n : n;
    const Var gates = recur::slice(gates_x, 0, t * B, (t + 1) * B);
    state = recur::nn::detail::cell_step(kind, gates, state, state.h, weights);
    outputs[t] = state.h;
  }
  Var hs = recur::concat(outputs, 0);
  return is_lstm ? recur::concat({hs, state.c}, 0) : hs;
}

Var fused(CellKind kind, std::span<const Var> in, std::size_t T, bool reverse) {
  const bool is_lstm = kind == CellKind::lstm, is_gru = kind == CellKind::gru;
  return recur::nn::detail::fused_sequence(
      kind, {in[0], in[3], in[4], in[1], is_lstm ? in[5] : Var(), in[2], is_gru ? in[5] : Var()},
      T, reverse);
}

std::vector<Tensor> random_inputs(CellKind kind, std::size_t T, std::size_t B, std::size_t I,
                                  std::size_t H, std::uint64_t seed) {
  recur::Generator gen(seed);
  const std::size_t G = recur::nn::detail::gate_count(kind) * H;
  // Weights of torch's init scale at large sizes, so pre-activations stay of order 1 and an
  // unbounded relu RNN does not grow past float32's precision over the steps.
  const float w = std::min(0.6f, 2.0f / std::sqrt(static_cast<float>(I + H)));
  std::vector<Tensor> inputs{gen.uniform({T * B, I}, -1.0f, 1.0f), gen.uniform({B, H}, -1.0f, 1.0f),
                             gen.uniform({G, H}, -w, w), gen.uniform({G, I}, -w, w),
                             gen.uniform({G}, -0.5f, 0.5f)};
  if (kind == CellKind::lstm) inputs.push_back(gen.uniform({B, H}, -1.0f, 1.0f));
  if (kind == CellKind::gru) inputs.push_back(gen.uniform({G}, -0.5f, 0.5f));
  return inputs;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(fused_sequence_suite)

// Sizes: a small one, one with full 16-column panels and 6- and 4-row blocks of the packed
// recurrent product (layers/packed_gemm.hpp) plus their tails, and one whose weights are too
// large for the stepwise weight gradients (G * (I + H) over 64K floats for every kind), so the
// backward takes its after-the-loop GEMMs instead.
BOOST_AUTO_TEST_CASE(fused_sequence_matches_the_composite_ops_in_values_and_gradients) {
  for (const auto [T, B, I, H] : {std::array<std::size_t, 4>{7, 3, 4, 5}, {3, 8, 1, 20},
                                  {2, 13, 17, 33}, {3, 5, 64, 256}})
  for (CellKind kind : kinds) {
    for (bool reverse : {false, true}) {
      BOOST_TEST_CONTEXT(name_of(kind) << (reverse ? " reverse" : " forward") << " T " << T
                                       << " B " << B << " I " << I << " H " << H) {
        const std::vector<Tensor> values = random_inputs(kind, T, B, I, H, 7);
        std::vector<Tensor> results, grads;
        for (bool use_fused : {false, true}) {
          recur::Tape tape;
          std::vector<Var> in;
          for (const Tensor& v : values) in.push_back(tape.input(v, true));
          const Var out = use_fused ? fused(kind, in, T, reverse) : composite(kind, in, T, reverse);
          // A random projection, so every output row's gradient differs.
          const Var weights = tape.input(recur::Generator(11).uniform(
              {out.dim(0), out.dim(1)}, -1.0f, 1.0f));
          tape.backward(recur::sum(recur::mul(out, weights)));
          results.push_back(out.value());
          for (const Var& v : in) grads.push_back(v.grad());
        }
        RECUR_CHECK_CLOSE(results[1], results[0], 1e-5, 1e-6);
        const std::size_t count = values.size();
        for (std::size_t i = 0; i < count; ++i)
          BOOST_TEST_CONTEXT("gradient of input " << i) {
            RECUR_CHECK_CLOSE(grads[count + i], grads[i], 1e-4, 1e-5);
          }
      }
    }
  }
}

// Another op recorded after the fused node contributes to dL/dx first; the fused backward must
// add to it, not overwrite it.
BOOST_AUTO_TEST_CASE(fused_sequence_adds_to_a_gradient_that_already_holds_a_contribution) {
  const std::size_t T = 4, B = 3, I = 2, H = 5;
  for (CellKind kind : kinds) {
    BOOST_TEST_CONTEXT(name_of(kind)) {
      const std::vector<Tensor> values = random_inputs(kind, T, B, I, H, 13);
      std::vector<Tensor> grads;
      for (bool use_fused : {false, true}) {
        recur::Tape tape;
        std::vector<Var> in;
        for (const Tensor& v : values) in.push_back(tape.input(v, true));
        const Var out = use_fused ? fused(kind, in, T, false) : composite(kind, in, T, false);
        const Var other = tape.input(recur::Generator(3).uniform(
            {values[0].shape(0), values[0].shape(1)}, -1.0f, 1.0f));
        const Var loss = recur::add(recur::sum(recur::mul(out, out)),
                                    recur::sum(recur::mul(in[0], other)));
        tape.backward(loss);
        grads.push_back(in[0].grad());
      }
      RECUR_CHECK_CLOSE(grads[1], grads[0], 1e-4, 1e-5);
    }
  }
}

BOOST_AUTO_TEST_CASE(fused_sequence_passes_gradcheck) {
  const std::size_t T = 4, B = 2, I = 2, H = 3;
  for (CellKind kind : kinds) {
    for (bool reverse : {false, true}) {
      BOOST_TEST_CONTEXT(name_of(kind) << (reverse ? " reverse" : " forward")) {
        std::vector<Tensor> values = random_inputs(kind, T, B, I, H, 5);
        // relu's kink: keep pre-activations away from 0 by more than the step (a bias far
        // from 0 and small input and recurrent weights).
        if (kind == CellKind::rnn_relu) {
          for (float& v : values[4]) v = v < 0 ? v - 1.0f : v + 1.0f;
          values[2] *= 0.2f;
          values[3] *= 0.2f;
        }
        const auto result = recur::gradcheck(
            [&](std::span<const Var> in) { return fused(kind, in, T, reverse); }, values);
        BOOST_TEST(result.ok, result.report);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(fused_sequence_under_no_grad_gives_the_same_values) {
  const std::size_t T = 6, B = 2, I = 3, H = 4;
  for (CellKind kind : kinds) {
    BOOST_TEST_CONTEXT(name_of(kind)) {
      const std::vector<Tensor> values = random_inputs(kind, T, B, I, H, 9);
      recur::Tape tape;
      std::vector<Var> in;
      for (const Tensor& v : values) in.push_back(tape.input(v, true));
      const Tensor with_grad = fused(kind, in, T, false).value();
      recur::NoGradGuard no_grad;
      RECUR_CHECK_CLOSE(Tensor(fused(kind, in, T, false).value()), with_grad, 1e-6, 1e-7);
    }
  }
}

// [T, B, I] input (straight from the layer's input) gives what its [T*B, I] rows give, and
// the optional biases may be left out.
BOOST_AUTO_TEST_CASE(fused_sequence_takes_a_3d_input_and_no_biases) {
  const std::size_t T = 5, B = 3, I = 4, H = 6;
  for (CellKind kind : kinds) {
    BOOST_TEST_CONTEXT(name_of(kind)) {
      std::vector<Tensor> values = random_inputs(kind, T, B, I, H, 21);
      std::vector<Tensor> results, grads;
      for (bool three_d : {false, true}) {
        recur::Tape tape;
        std::vector<Var> in;
        for (const Tensor& v : values) in.push_back(tape.input(v, true));
        const bool is_lstm = kind == CellKind::lstm;
        const Var x = three_d ? recur::reshape(in[0], {T, B, I}) : in[0];
        // The composite reference with the biases at zero (the GRU's bias_hh too).
        const std::vector<Var> unbiased{in[0], in[1], in[2], in[3], recur::mul_scalar(in[4], 0.0f),
                                        in.size() < 6 ? Var()
                                        : is_lstm     ? in[5]
                                                      : recur::mul_scalar(in[5], 0.0f)};
        const Var out = three_d
            ? recur::nn::detail::fused_sequence(
                  kind, {x, in[3], Var(), in[1], is_lstm ? in[5] : Var(), in[2], Var()}, T, false)
            : composite(kind, unbiased, T, false);
        tape.backward(recur::sum(recur::mul(out, out)));
        results.push_back(out.value());
        for (std::size_t i : {0, 1, 2, 3}) grads.push_back(in[i].grad());
      }
      RECUR_CHECK_CLOSE(results[1], results[0], 1e-5, 1e-6);
      for (std::size_t i = 0; i < 4; ++i)
        BOOST_TEST_CONTEXT("gradient of input " << i) {
          RECUR_CHECK_CLOSE(grads[4 + i], grads[i], 1e-4, 1e-5);
        }
    }
  }
}

BOOST_AUTO_TEST_CASE(fused_sequence_rejects_inputs_that_do_not_fit) {
  recur::Tape tape;
  const Var x = tape.input(recur::zeros({6, 3}));
  const Var h0 = tape.input(recur::zeros({2, 2}));
  const Var w_hh = tape.input(recur::zeros({8, 2}));  // LSTM with H = 2: G = 8
  const Var w_ih = tape.input(recur::zeros({8, 3}));
  using recur::nn::detail::fused_sequence;
  // Fits: 3 steps of batch 2.
  BOOST_CHECK_NO_THROW(fused_sequence(CellKind::lstm, {x, w_ih, Var(), h0, h0, w_hh, Var()}, 3, false));
  const Var narrow_w_ih = tape.input(recur::zeros({7, 3}));
  const Var wrong_input = tape.input(recur::zeros({6, 4}));
  const Var wrong_bias = tape.input(recur::zeros({7}));
  BOOST_CHECK_THROW(fused_sequence(CellKind::lstm, {x, narrow_w_ih, Var(), h0, h0, w_hh, Var()}, 3, false),
                    recur::ShapeError);
  BOOST_CHECK_THROW(fused_sequence(CellKind::lstm, {wrong_input, w_ih, Var(), h0, h0, w_hh, Var()}, 3, false),
                    recur::ShapeError);
  BOOST_CHECK_THROW(fused_sequence(CellKind::lstm, {x, w_ih, wrong_bias, h0, h0, w_hh, Var()}, 3, false),
                    recur::ShapeError);
  BOOST_CHECK_THROW(fused_sequence(CellKind::lstm, {x, w_ih, Var(), h0, h0, w_hh, Var()}, 4, false),
                    recur::ShapeError);
  BOOST_CHECK_THROW(fused_sequence(CellKind::lstm, {x, w_ih, Var(), h0, Var(), w_hh, Var()}, 3, false),
                    recur::ShapeError);  // the LSTM needs c0
}

BOOST_AUTO_TEST_SUITE_END()
