// Same answers on any thread count (issue #17): a recurrent layer's outputs and every gradient, and
// a 100-step training trajectory, are bit for bit the same on 1, 2 and 3 threads, for the paths the
// team splits differently (batch rows, with and without the per-step weight phase, the weight
// gradients summed in blocks of rows; padded batches; the recurrent mask; the projection; a
// declared cell; batch 1; the units of a layer with large weights at batch 16 and at batch 1), and
// with the batch rows split unevenly, as the members' learned speeds make them
// (core/kernels/balance.hpp).
#include <boost/test/unit_test.hpp>

#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "autograd/ops/linalg.hpp"
#include "autograd/ops/losses.hpp"
#include "autograd/ops/reductions.hpp"
#include "autograd/ops/shape_ops.hpp"
#include "autograd/tape.hpp"
#include "core/kernels/balance.hpp"
#include "core/random.hpp"
#include "core/threads.hpp"
#include "docs/snippets/peephole_lstm.hpp"
#include "layers/gru.hpp"
#include "layers/linear.hpp"
#include "layers/lstm.hpp"
#include "layers/recurrent.hpp"
#include "layers/rnn.hpp"
#include "optim/adam.hpp"
#include "optim/clip.hpp"

using namespace recur;

namespace {

struct ThreadsRestored {
  int before = num_threads();
  ~ThreadsRestored() { set_num_threads(before); }
};

bool bitwise_equal(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// Everything one forward and backward computes: the output, the final states and every
// parameter's and the input's gradient.
std::vector<Tensor> run_once(nn::Module& layer,
                             const std::function<nn::RecurrentResult(const Var&)>& forward,
                             const Tensor& x) {
  layer.zero_grad();
  default_generator().seed(5);  // the same recurrent-dropout masks on every run
  Tape tape;
  const Var input = tape.input(x, true);
  const nn::RecurrentResult r = forward(input);
  Var loss = sum(mul(r.output, tape.input(Generator(3).uniform(
                                    {r.output.dim(0), r.output.dim(1), r.output.dim(2)}, -1, 1))));
  for (const Var& state : r.states)
    if (state.defined()) loss = add(loss, sum(mul(state, state)));
  tape.backward(loss);
  std::vector<Tensor> results{r.output.value(), input.grad()};
  for (const Var& state : r.states)
    if (state.defined()) results.push_back(state.value());
  for (Parameter* p : layer.parameters()) results.push_back(p->grad);
  return results;
}

// Teaches the team that member `slow` runs at a quarter of the others' speed (the most one
// report may claim), so that the next splits by rows give it far fewer rows than the others.
void make_member_slow(std::size_t slow, std::size_t threads) {
  kernels::reset_member_weights();
  std::vector<double> seconds(threads, 1e-3), work(threads, 100);
  seconds[slow] = 4e-3;
  for (int i = 0; i < 30; ++i) kernels::report_busy(seconds.data(), work.data(), threads);
}

// Runs on 1, 2 and 3 threads with an even split, then on 2 and 3 with each member in turn the
// slow one (the run itself reports real times too, which only moves the split further).
void check_same_on_every_thread_count(
    const std::string& name, nn::Module& layer,
    const std::function<nn::RecurrentResult(const Var&)>& forward, const Tensor& x) {
  ThreadsRestored restore;
  std::vector<std::vector<Tensor>> runs;
  std::vector<std::string> labels;
  for (int threads : {1, 2, 3}) {
    set_num_threads(threads);
    kernels::reset_member_weights();
    runs.push_back(run_once(layer, forward, x));
    labels.push_back(std::to_string(threads) + " threads");
  }
  for (std::size_t threads : {2, 3}) {
    set_num_threads(static_cast<int>(threads));
    for (std::size_t slow = 0; slow < threads; ++slow) {
      make_member_slow(slow, threads);
      BOOST_TEST(kernels::member_weights().fraction(1, threads) != 1.0 / double(threads));
      runs.push_back(run_once(layer, forward, x));
      labels.push_back(std::to_string(threads) + " threads, member " + std::to_string(slow) +
                       " slow");
    }
  }
  kernels::reset_member_weights();
  for (std::size_t run = 1; run < runs.size(); ++run)
    for (std::size_t i = 0; i < runs[0].size(); ++i)
      BOOST_TEST(bitwise_equal(runs[run][i], runs[0][i]),
                 name << ": result " << i << " differs between 1 thread and " << labels[run]);
}

nn::RecurrentResult as_result(const nn::LSTMResult& r) {
  return {r.output, {r.state.h, r.state.c}};
}
nn::RecurrentResult as_result(const nn::RNNResult& r) { return {r.output, {r.h_n}}; }

}  // namespace

BOOST_AUTO_TEST_SUITE(threads_bitwise)

BOOST_AUTO_TEST_CASE(recurrent_layers_give_the_same_bits_on_one_two_and_three_threads) {
  Generator gen(21);
  const IndexTensor lengths{9, 3, 12, 12, 1, 7, 12, 5, 2, 12, 8, 4, 12, 6, 10, 11};
  {  // small weights: the per-step weight phase after a barrier
    nn::LSTM lstm({.input_size = 5, .hidden_size = 24, .num_layers = 2, .bidirectional = true});
    const Tensor x = gen.uniform({12, 16, 5}, -1, 1);
    check_same_on_every_thread_count("LSTM stepwise", lstm,
                                     [&](const Var& v) { return as_result(lstm(v)); }, x);
    check_same_on_every_thread_count(
        "LSTM stepwise padded", lstm, [&](const Var& v) { return as_result(lstm(v, lengths)); },
        x);
  }
  {  // small weights at batch 48: the weight gradients summed in three blocks of 16 rows
    nn::LSTM lstm({.input_size = 5, .hidden_size = 24, .num_layers = 2, .bidirectional = true});
    const Tensor x = gen.uniform({12, 48, 5}, -1, 1);
    check_same_on_every_thread_count("LSTM stepwise in blocks", lstm,
                                     [&](const Var& v) { return as_result(lstm(v)); }, x);
    IndexTensor long_lengths(Shape{48});
    for (std::size_t b = 0; b < 48; ++b) long_lengths(b) = lengths(b % 16);
    check_same_on_every_thread_count(
        "LSTM stepwise in blocks, padded", lstm,
        [&](const Var& v) { return as_result(lstm(v, long_lengths)); }, x);
    nn::GRU gru({.input_size = 8, .hidden_size = 32, .recurrent_dropout = 0.25f});
    const Tensor y = gen.uniform({12, 40, 8}, -1, 1);
    check_same_on_every_thread_count("GRU stepwise in blocks, mask", gru,
                                     [&](const Var& v) { return as_result(gru(v)); }, y);
    nn::LSTM projected({.input_size = 8, .hidden_size = 40, .proj_size = 12});
    const Tensor z = gen.uniform({12, 36, 8}, -1, 1);
    IndexTensor lengths_36(Shape{36});
    for (std::size_t b = 0; b < 36; ++b) lengths_36(b) = lengths(b % 16);
    check_same_on_every_thread_count(
        "LSTM projection in blocks, padded", projected,
        [&](const Var& v) { return as_result(projected(v, lengths_36)); }, z);
  }
  {  // large weights: after-loop GEMMs, split in fixed blocks
    nn::GRU gru({.input_size = 32, .hidden_size = 160, .recurrent_dropout = 0.25f});
    const Tensor x = gen.uniform({12, 16, 32}, -1, 1);
    check_same_on_every_thread_count("GRU after-loop, mask", gru,
                                     [&](const Var& v) { return as_result(gru(v)); }, x);
    check_same_on_every_thread_count(
        "GRU after-loop, mask, padded", gru,
        [&](const Var& v) { return as_result(gru(v, lengths)); }, x);
  }
  {
    nn::LSTM lstm({.input_size = 8, .hidden_size = 160, .proj_size = 48});
    const Tensor x = gen.uniform({12, 16, 8}, -1, 1);
    check_same_on_every_thread_count(
        "LSTM projection padded", lstm,
        [&](const Var& v) { return as_result(lstm(v, lengths)); }, x);
  }
  {
    nn::Recurrent<PeepholeLSTM> peephole({.input_size = 6, .hidden_size = 40});
    const Tensor x = gen.uniform({12, 16, 6}, -1, 1);
    check_same_on_every_thread_count("peephole", peephole,
                                     [&](const Var& v) { return peephole(v, lengths); }, x);
  }
  {  // packed weights over 2 MiB: both passes split the units at batch 16 too
    nn::LSTM lstm({.input_size = 32, .hidden_size = 384});
    const Tensor x = gen.uniform({4, 16, 32}, -1, 1);
    check_same_on_every_thread_count("LSTM large weights", lstm,
                                     [&](const Var& v) { return as_result(lstm(v)); }, x);
    const IndexTensor short_lengths{4, 1, 3, 4, 2, 4, 1, 3, 4, 2, 4, 4, 3, 1, 2, 4};
    check_same_on_every_thread_count(
        "LSTM large weights padded", lstm,
        [&](const Var& v) { return as_result(lstm(v, short_lengths)); }, x);
    nn::GRU gru({.input_size = 32, .hidden_size = 448});
    check_same_on_every_thread_count("GRU large weights", gru,
                                     [&](const Var& v) { return as_result(gru(v)); }, x);
  }
  {
    nn::RNN rnn({.input_size = 4, .hidden_size = 64});
    const Tensor x = gen.uniform({20, 1, 4}, -1, 1);
    check_same_on_every_thread_count("RNN batch 1", rnn,
                                     [&](const Var& v) { return as_result(rnn(v)); }, x);
  }
  {  // batch 1 by units with weights past the per-step phase, the input's gradient wanted
    nn::LSTM lstm({.input_size = 16, .hidden_size = 256, .num_layers = 2});
    const Tensor x = gen.uniform({6, 1, 16}, -1, 1);
    check_same_on_every_thread_count("LSTM batch 1, large weights", lstm,
                                     [&](const Var& v) { return as_result(lstm(v)); }, x);
  }
}

BOOST_AUTO_TEST_CASE(a_hundred_training_steps_give_the_same_bits_on_every_thread_count) {
  ThreadsRestored restore;
  std::vector<std::vector<Tensor>> trajectories;
  for (int threads : {1, 2, 3}) {
    set_num_threads(threads);
    default_generator().seed(11);
    nn::LSTM lstm({.input_size = 8, .hidden_size = 96});
    nn::Linear head({.in_features = 96, .out_features = 5});
    std::vector<Parameter*> parameters = lstm.parameters();
    for (Parameter* p : head.parameters()) parameters.push_back(p);
    optim::Adam adam(parameters, {.lr = 3e-3});
    Generator data(4);
    Tape tape;
    std::vector<Tensor> losses;
    for (int step = 0; step < 100; ++step) {
      const Tensor x = data.uniform({10, 24, 8}, -1, 1);
      IndexTensor targets(Shape{24});
      for (std::size_t b = 0; b < 24; ++b)
        targets(b) = static_cast<std::int64_t>(data.next_u64() % 5);
      tape.clear();
      adam.zero_grad();
      const Var h = select(lstm(tape.input(x)).output, 0, 9);
      const Var loss = cross_entropy(head(h), targets);
      tape.backward(loss);
      optim::clip_grad_norm(parameters, 1.0);
      adam.step();
      losses.push_back(loss.value());
    }
    for (Parameter* p : parameters) losses.push_back(p->value);
    trajectories.push_back(losses);
  }
  for (std::size_t run = 1; run < trajectories.size(); ++run)
    for (std::size_t i = 0; i < trajectories[0].size(); ++i)
      BOOST_TEST(bitwise_equal(trajectories[run][i], trajectories[0][i]),
                 (i < 100 ? "loss at step " : "parameter ") << (i < 100 ? i : i - 100)
                                                             << " differs between 1 and "
                                                             << run + 1 << " threads");
}

BOOST_AUTO_TEST_SUITE_END()
