// A steady training (or inference) step allocates nothing on the heap once the first steps have
// sized every buffer. This suite is its own executable linked with bench/alloc_counter.cpp, which
// replaces malloc, posix_memalign (xsimd's aligned allocator) and operator new process-wide and
// counts every call: the same honest counter recur_bench prints as allocs_per_step. A Shape, a
// list or a temporary tensor made per step anywhere in the loop below makes these cases fail.
// (Not built with RECUR_SANITIZE: AddressSanitizer must keep its own allocator.)
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "autograd/no_grad.hpp"
#include "autograd/ops/linalg.hpp"
#include "autograd/ops/losses.hpp"
#include "autograd/ops/reductions.hpp"
#include "autograd/ops/shape_ops.hpp"
#include "autograd/tape.hpp"
#include "bench/alloc_counter.hpp"
#include "core/random.hpp"
#include "layers/gru.hpp"
#include "layers/linear.hpp"
#include "layers/recurrent.hpp"
#include "layers/lstm.hpp"
#include "layers/rnn.hpp"
#include "optim/adam.hpp"
#include "optim/clip.hpp"
#include "docs/snippets/peephole_lstm.hpp"

using namespace recur;

namespace {

constexpr std::size_t T = 6, B = 4, I = 3, H = 8, C = 5;

// Heap allocations made by `step` over `counted` calls after `warmup` calls. Nothing else runs
// between the two reads of the counter (no Boost.Test macro allocates in between).
std::uint64_t allocations_in_steady_steps(const std::function<void()>& step, int warmup = 3,
                                          int counted = 4) {
  for (int i = 0; i < warmup; ++i) step();
  const std::uint64_t before = recur_bench::allocation_count();
  for (int i = 0; i < counted; ++i) step();
  return recur_bench::allocation_count() - before;
}

Tensor random_input(std::uint64_t seed) {
  Generator generator(seed);
  return generator.uniform({T, B, I}, -1.0f, 1.0f);
}

IndexTensor random_targets(std::uint64_t seed) {
  Generator generator(seed);
  IndexTensor targets(Shape{T * B});
  for (std::size_t i = 0; i < targets.size(); ++i)
    targets.data()[i] = static_cast<std::int64_t>(generator.next_u64() % C);
  return targets;
}

// One training step of `layer` + linear head + cross-entropy + Adam with gradient clipping, the
// loop of bench/recur_bench.cpp with the library's optimiser; or the forward pass alone.
template <class Layer>
struct Loop {
  Layer layer;
  nn::Linear head{nn::LinearOptions{.in_features = H, .out_features = C}};
  std::vector<Parameter*> parameters;
  optim::Adam adam;
  Tensor x = random_input(1);
  IndexTensor targets = random_targets(2);
  IndexTensor lengths{T, 3, 5, 1};  // B sequences, several shorter, not sorted
  bool padded = false;
  Tape tape;
  float loss_value = 0.0f;

  template <class Options>
  explicit Loop(const Options& options, bool padded_batch)
      : layer(options), parameters(all_parameters()), adam(parameters), padded(padded_batch) {}

  Var run(const Var& input) { return padded ? layer(input, lengths).output : layer(input).output; }

  std::vector<Parameter*> all_parameters() {
    std::vector<Parameter*> list = layer.parameters();
    for (Parameter* p : head.parameters()) list.push_back(p);
    return list;
  }

  void train_step() {
    tape.clear();
    adam.zero_grad();
    const Var out = run(tape.input(x));
    const Var logits = head(reshape(out, {T * B, H}));
    const Var loss = cross_entropy(logits, targets);
    tape.backward(loss);
    optim::clip_grad_norm(parameters, 1.0);
    adam.step();
    loss_value = loss.value().data()[0];
  }

  void infer_step() {
    tape.clear();
    NoGradGuard no_grad;
    const Var out = run(tape.input(x));
    loss_value = head(reshape(out, {T * B, H})).value().data()[0];
  }
};

template <class Layer, class Options>
void check_steady_steps_allocate_nothing(const Options& options, bool padded = false) {
  Loop<Layer> loop(options, padded);
  const std::uint64_t training = allocations_in_steady_steps([&] { loop.train_step(); });
  BOOST_TEST(training == 0u, training << " heap allocations in 4 steady training steps");
  BOOST_TEST(std::isfinite(loop.loss_value));
  loop.layer.eval();
  const std::uint64_t inference = allocations_in_steady_steps([&] { loop.infer_step(); });
  BOOST_TEST(inference == 0u, inference << " heap allocations in 4 steady inference steps");
}

}  // namespace

BOOST_AUTO_TEST_CASE(the_counter_sees_tensor_buffers_and_small_objects) {
  // The counter itself is live in this executable: otherwise every case below passes vacuously.
  const std::uint64_t before = recur_bench::allocation_count();
  Tensor tensor = zeros({16, 16});          // posix_memalign, through xsimd's allocator
  std::string text(100, 'x');               // operator new
  const std::uint64_t made = recur_bench::allocation_count() - before;
  BOOST_TEST(made >= 2u);
  BOOST_TEST(tensor.size() + text.size() == 356u);
}

BOOST_AUTO_TEST_CASE(a_steady_lstm_step_allocates_nothing) {
  check_steady_steps_allocate_nothing<nn::LSTM>(nn::LSTMOptions{.input_size = I, .hidden_size = H});
}

BOOST_AUTO_TEST_CASE(a_steady_gru_step_allocates_nothing) {
  check_steady_steps_allocate_nothing<nn::GRU>(nn::GRUOptions{.input_size = I, .hidden_size = H});
}

BOOST_AUTO_TEST_CASE(a_steady_rnn_step_allocates_nothing) {
  check_steady_steps_allocate_nothing<nn::RNN>(nn::RNNOptions{.input_size = I, .hidden_size = H});
}

BOOST_AUTO_TEST_CASE(a_steady_two_layer_bidirectional_lstm_step_allocates_nothing) {
  check_steady_steps_allocate_nothing<nn::LSTM>(
      nn::LSTMOptions{.input_size = I, .hidden_size = H / 2, .num_layers = 2, .bidirectional = true});
}

BOOST_AUTO_TEST_CASE(the_projection_and_recurrent_dropout_allocate_nothing_either) {
  // The projection and the recurrent dropout mask (a constant node drawn per forward) must
  // reuse the tape's buffers too.
  check_steady_steps_allocate_nothing<nn::LSTM>(
      nn::LSTMOptions{.input_size = I, .hidden_size = H + 2, .proj_size = H});
  nn::LSTMOptions dropped{.input_size = I, .hidden_size = H};
  dropped.recurrent_dropout = 0.25f;
  check_steady_steps_allocate_nothing<nn::LSTM>(dropped);
  nn::GRUOptions gru{.input_size = I, .hidden_size = H};
  gru.recurrent_dropout = 0.25f;
  check_steady_steps_allocate_nothing<nn::GRU>(gru);
}

BOOST_AUTO_TEST_CASE(a_padded_batch_allocates_nothing) {
  // Sorting the rows by length and the per-step row counts live in the node's saved buffer.
  check_steady_steps_allocate_nothing<nn::LSTM>(
      nn::LSTMOptions{.input_size = I, .hidden_size = H / 2, .bidirectional = true}, true);
  check_steady_steps_allocate_nothing<nn::GRU>(nn::GRUOptions{.input_size = I, .hidden_size = H},
                                               true);
  nn::RNNOptions rnn{.input_size = I, .hidden_size = H};
  rnn.recurrent_dropout = 0.25f;
  check_steady_steps_allocate_nothing<nn::RNN>(rnn, true);
}

BOOST_AUTO_TEST_CASE(a_declared_cell_allocates_nothing) {
  const nn::RecurrentOptions options{.input_size = I, .hidden_size = H};
  check_steady_steps_allocate_nothing<nn::Recurrent<PeepholeLSTM>>(options);
  check_steady_steps_allocate_nothing<nn::Recurrent<PeepholeLSTM>>(options, true);
}

BOOST_AUTO_TEST_CASE(a_tape_that_changes_shapes_every_step_holds_bounded_memory) {
  // Pooling by node position must not keep every size ever seen: a sequence length that
  // alternates between two values leaves the tape holding what the current step needs.
  nn::LSTM lstm(nn::LSTMOptions{.input_size = I, .hidden_size = H});
  Tape tape;
  Generator generator(3);
  std::size_t largest = 0, last = 0;
  for (int step = 0; step < 12; ++step) {
    const std::size_t seq = step % 2 == 0 ? 3 : 30;
    tape.clear();
    const Var out = lstm(tape.input(generator.uniform({seq, B, I}, -1.0f, 1.0f))).output;
    tape.backward(mean(out));
    last = tape.memory_bytes();
    if (step < 2) largest = std::max(largest, last);
  }
  BOOST_TEST(last <= largest, "the tape grew from " << largest << " to " << last << " bytes");
  tape.release_memory();
  BOOST_TEST(tape.memory_bytes() == 0u);
}
