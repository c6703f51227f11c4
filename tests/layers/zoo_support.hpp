// What the zoo's layer tests share: every engine layer of the zoo by name, a run of one with
// its results and gradients, and their comparison.
#pragma once

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "autograd/ops/activations.hpp"
#include "autograd/ops/elementwise.hpp"
#include "autograd/ops/reductions.hpp"
#include "autograd/ops/shape_ops.hpp"
#include "autograd/tape.hpp"
#include "core/error.hpp"
#include "core/random.hpp"
#include "layers/gru.hpp"
#include "layers/lstm.hpp"
#include "layers/recurrent.hpp"
#include "layers/zoo/cifg_lstm.hpp"
#include "layers/zoo/cornn.hpp"
#include "layers/zoo/indrnn.hpp"
#include "layers/zoo/layer_norm_lstm.hpp"
#include "layers/zoo/lmu.hpp"
#include "layers/zoo/lru.hpp"
#include "layers/zoo/min_gru.hpp"
#include "layers/zoo/min_lstm.hpp"
#include "layers/zoo/peephole_lstm.hpp"
#include "layers/zoo/slstm.hpp"
#include "support/check.hpp"
#include "support/gradients.hpp"

namespace recur::test {

constexpr std::size_t I = 3, H = 5;

// Every zoo layer on the engine, by name, with the options given for all.
struct ZooOptions {
  std::size_t num_layers = 1;
  bool batch_first = false, bidirectional = false;
};
inline std::vector<std::pair<std::string, std::function<std::unique_ptr<nn::detail::SequenceLayer>(
                                       const ZooOptions&)>>>
zoo() {
  using Made = std::unique_ptr<nn::detail::SequenceLayer>;
  return {
      {"PeepholeLSTM", [](const ZooOptions& o) -> Made {
         return std::make_unique<nn::PeepholeLSTM>(nn::PeepholeLSTMOptions{
             .input_size = I, .hidden_size = H, .num_layers = o.num_layers,
             .batch_first = o.batch_first, .bidirectional = o.bidirectional});
       }},
      {"CIFGLSTM", [](const ZooOptions& o) -> Made {
         return std::make_unique<nn::CIFGLSTM>(nn::CIFGLSTMOptions{
             .input_size = I, .hidden_size = H, .num_layers = o.num_layers,
             .batch_first = o.batch_first, .bidirectional = o.bidirectional});
       }},
      {"IndRNN", [](const ZooOptions& o) -> Made {
         return std::make_unique<nn::IndRNN>(nn::IndRNNOptions{
             .input_size = I, .hidden_size = H, .num_layers = o.num_layers,
             .batch_first = o.batch_first, .bidirectional = o.bidirectional});
       }},
      {"CoRNN", [](const ZooOptions& o) -> Made {
         return std::make_unique<nn::CoRNN>(nn::CoRNNOptions{
             .input_size = I, .hidden_size = H, .num_layers = o.num_layers,
             .batch_first = o.batch_first, .bidirectional = o.bidirectional, .dt = 0.3f});
       }},
      {"SLSTM", [](const ZooOptions& o) -> Made {
         return std::make_unique<nn::SLSTM>(nn::SLSTMOptions{
             .input_size = I, .hidden_size = H, .num_layers = o.num_layers,
             .batch_first = o.batch_first, .bidirectional = o.bidirectional});
       }},
      {"MinGRU", [](const ZooOptions& o) -> Made {
         return std::make_unique<nn::MinGRU>(nn::MinGRUOptions{
             .input_size = I, .hidden_size = H, .num_layers = o.num_layers,
             .batch_first = o.batch_first, .bidirectional = o.bidirectional});
       }},
      {"MinLSTM", [](const ZooOptions& o) -> Made {
         return std::make_unique<nn::MinLSTM>(nn::MinLSTMOptions{
             .input_size = I, .hidden_size = H, .num_layers = o.num_layers,
             .batch_first = o.batch_first, .bidirectional = o.bidirectional});
       }}};
}

// loss = sum(output * P) + sum over states of sum(state * Q_k), P and Q_k fixed and random.
inline Var projected_loss(const nn::RecurrentResult& r, std::size_t states) {
  Tape& tape = r.output.tape();
  const auto projection = [&](const Var& v, std::uint64_t seed) {
    return tape.input(Generator(seed).uniform(Shape(v.shape().begin(), v.shape().end()), -1, 1));
  };
  Var loss = sum(mul(r.output, projection(r.output, 3)));
  for (std::size_t k = 0; k < states; ++k)
    loss = add(loss, sum(mul(r.states[k], projection(r.states[k], 10 + k))));
  return loss;
}

struct Outcome {
  std::vector<Tensor> values;  // output, then each final state
  std::vector<Tensor> grads;   // each parameter's, then the input's and the initial states'
};

inline Outcome run_once(nn::detail::SequenceLayer& layer, const Tensor& x, const IndexTensor* lengths,
                 const std::vector<Tensor>& initial) {
  layer.zero_grad();
  Tape tape;
  const Var input = tape.input(x, true);
  std::array<Var, cell::kMaxStates> start;
  for (std::size_t k = 0; k < initial.size(); ++k) start[k] = tape.input(initial[k], true);
  const nn::RecurrentResult r = lengths ? layer(input, *lengths, start) : layer(input, start);
  tape.backward(projected_loss(r, layer.cell().states));
  Outcome out;
  out.values.push_back(r.output.value());
  for (std::size_t k = 0; k < layer.cell().states; ++k) out.values.push_back(r.states[k].value());
  for (Parameter* p : layer.parameters()) out.grads.push_back(p->grad);
  out.grads.push_back(input.grad());
  for (std::size_t k = 0; k < initial.size(); ++k) out.grads.push_back(start[k].grad());
  return out;
}

inline void expect_same(const Outcome& a, const Outcome& b, double rtol, double atol,
                 double grad_rtol = -1, double grad_atol = -1) {
  if (grad_rtol < 0) grad_rtol = rtol;
  if (grad_atol < 0) grad_atol = atol;
  BOOST_TEST_REQUIRE(a.values.size() == b.values.size());
  BOOST_TEST_REQUIRE(a.grads.size() == b.grads.size());
  for (std::size_t i = 0; i < a.values.size(); ++i)
    BOOST_TEST_CONTEXT((i == 0 ? std::string("output") : "final state " + std::to_string(i - 1)))
        RECUR_CHECK_CLOSE(a.values[i], b.values[i], rtol, atol);
  for (std::size_t i = 0; i < a.grads.size(); ++i)
    BOOST_TEST_CONTEXT("gradient " << i)
        RECUR_CHECK_CLOSE(a.grads[i], b.grads[i], grad_rtol, grad_atol);
}

inline std::vector<Tensor> initial_states(const nn::detail::SequenceLayer& layer, std::size_t count,
                                   std::size_t batch, std::uint64_t seed) {
  std::vector<Tensor> states;
  for (std::size_t k = 0; k < layer.cell().states; ++k) {
    const bool normaliser = std::string(layer.cell().state_names[k]) == "n";  // sLSTM: n > 0
    states.push_back(Generator(seed + k).uniform({count, batch, H}, normaliser ? 0.5f : -1.0f,
                                                 normaliser ? 1.5f : 1.0f));
  }
  return states;
}

}  // namespace recur::test
