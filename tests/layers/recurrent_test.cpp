// Behaviour of the recurrent layers beyond PyTorch parity: BPTT gradients against finite
// differences, packed-sequence semantics, the dropouts, forget_bias, truncated BPTT in fixed
// memory, parameter names and initialisation, and the errors users get.
#include <boost/mpl/list.hpp>
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <set>
#include <string>
#include <vector>

#include <xtensor/xview.hpp>

#include "autograd/gradcheck.hpp"
#include "autograd/no_grad.hpp"
#include "autograd/ops/elementwise.hpp"
#include "autograd/ops/linalg.hpp"
#include "autograd/ops/losses.hpp"
#include "autograd/ops/reductions.hpp"
#include "autograd/ops/shape_ops.hpp"
#include "autograd/tape.hpp"
#include "core/error.hpp"
#include "core/random.hpp"
#include "layers/gru.hpp"
#include "layers/lstm.hpp"
#include "layers/rnn.hpp"
#include "support/check.hpp"
#include "support/tensors.hpp"

using namespace recur;

namespace {

// One interface over RNN, LSTM and GRU for the templated cases: make a layer, and run it to
// (output, h_n, c_n) with c_n empty except for the LSTM.
struct Run {
  Var output, h_n, c_n;
};

template <class Layer>
struct Traits;

template <>
struct Traits<nn::RNN> {
  static constexpr bool has_cell_state = false;
  static nn::RNNOptions options(std::size_t in, std::size_t hidden, std::size_t layers, bool bi) {
    return {.input_size = in, .hidden_size = hidden, .num_layers = layers, .bidirectional = bi};
  }
};
template <>
struct Traits<nn::GRU> {
  static constexpr bool has_cell_state = false;
  static nn::GRUOptions options(std::size_t in, std::size_t hidden, std::size_t layers, bool bi) {
    return {.input_size = in, .hidden_size = hidden, .num_layers = layers, .bidirectional = bi};
  }
};
template <>
struct Traits<nn::LSTM> {
  static constexpr bool has_cell_state = true;
  static nn::LSTMOptions options(std::size_t in, std::size_t hidden, std::size_t layers, bool bi) {
    return {.input_size = in, .hidden_size = hidden, .num_layers = layers, .bidirectional = bi};
  }
};

Run run(nn::LSTM& layer, const Var& x, const Var& h0, const Var& c0,
        const IndexTensor* lengths = nullptr) {
  const nn::LSTMResult r = lengths ? layer(x, *lengths, {h0, c0}) : layer(x, {h0, c0});
  return {r.output, r.state.h, r.state.c};
}
template <class Layer>
Run run(Layer& layer, const Var& x, const Var& h0, const Var&,
        const IndexTensor* lengths = nullptr) {
  const nn::RNNResult r = lengths ? layer(x, *lengths, h0) : layer(x, h0);
  return {r.output, r.h_n, Var()};
}

Var flat(const Var& v) { return reshape(v, {v.value().size()}); }

// Everything a run produced, as one flat value for gradcheck.
Var joined(const Run& r) {
  std::vector<Var> parts{flat(r.output), flat(r.h_n)};
  if (r.c_n.defined()) parts.push_back(flat(r.c_n));
  return concat(parts, 0);
}

Parameter& parameter_named(nn::Module& module, const std::string& name) {
  for (auto& [n, p] : module.named_parameters())
    if (n == name) return *p;
  BOOST_FAIL("no parameter named " << name);
  throw std::logic_error("unreachable");
}

Tensor reshaped(Tensor tensor, const Shape& shape) {
  tensor.reshape(shape);
  return tensor;
}

using RecurrentLayers = boost::mpl::list<nn::RNN, nn::LSTM, nn::GRU>;
using recur::test::random_tensor;

constexpr std::size_t T = 3, B = 2, I = 3, H = 4, L = 2, D = 2;

}  // namespace

BOOST_AUTO_TEST_SUITE(recurrent_layers)

// DyNet's DYNET_RNN_GRADIENT_TEST_CASE pattern: one case, every layer kind. Gradients of the
// input and initial states (through both layers, both directions and every step) and of the
// recurrent weight (summed over the steps by BPTT) against central differences.
BOOST_AUTO_TEST_CASE_TEMPLATE(bptt_gradients_match_finite_differences, Layer, RecurrentLayers) {
  manual_seed(11);
  Layer layer(Traits<Layer>::options(I, H, L, true));
  const IndexTensor lengths{3, 2};
  for (const bool padded : {false, true}) {
    std::vector<Tensor> inputs{random_tensor({T, B, I}, 1), random_tensor({L * D, B, H}, 2)};
    if (Traits<Layer>::has_cell_state) inputs.push_back(random_tensor({L * D, B, H}, 3));
    const auto function = [&](std::span<const Var> in) {
      const Var c0 = in.size() > 2 ? in[2] : Var();
      return joined(run(layer, in[0], in[1], c0, padded ? &lengths : nullptr));
    };
    const GradcheckResult result = gradcheck(function, inputs);
    BOOST_TEST(result.ok, (padded ? "with lengths: " : "") << result.report);
  }

  // weight_hh_l0 by hand: d loss / d w against (loss(w + e) - loss(w - e)) / 2e.
  Parameter& weight = parameter_named(layer, "weight_hh_l0");
  const Tensor x = random_tensor({T, B, I}, 4);
  const auto loss_of = [&](Tape& tape) {
    const Run r = run(layer, tape.input(x, true), Var(), Var());
    return sum(mul(r.output, tape.input(random_tensor(shape_of(r.output.value()), 5))));
  };
  layer.zero_grad();
  Tape tape;
  tape.backward(loss_of(tape));
  const Tensor analytic = weight.grad;
  const float step = 1e-2f;
  for (std::size_t j = 0; j < weight.value.size(); ++j) {
    const float original = weight.value.data()[j];
    double losses[2];
    for (int side = 0; side < 2; ++side) {
      weight.value.data()[j] = original + (side == 0 ? step : -step);
      Tape probe;
      losses[side] = loss_of(probe).value()();
    }
    weight.value.data()[j] = original;
    const double numeric = (losses[0] - losses[1]) / (2.0 * step);
    BOOST_TEST(std::abs(numeric - analytic.data()[j]) <= 5e-4 + 5e-3 * std::abs(numeric),
               "weight_hh_l0 element " << j << ": numeric " << numeric << ", analytic "
                                       << analytic.data()[j]);
  }
}

// Packed-sequence meaning: a padded batch gives each sequence exactly what it gives alone
// (both directions, final states included), zeros past its end, and no gradient there.
BOOST_AUTO_TEST_CASE_TEMPLATE(padded_batch_matches_each_sequence_run_alone, Layer,
                              RecurrentLayers) {
  manual_seed(12);
  Layer layer(Traits<Layer>::options(I, H, L, true));
  const std::size_t seq_len = 5, batch = 3;
  const IndexTensor lengths{2, 5, 1};
  const Tensor x = random_tensor({seq_len, batch, I}, 6);
  Tape tape;
  const Var input = tape.input(x, true);
  const Run padded = run(layer, input, Var(), Var(), &lengths);
  tape.backward(sum(mul(padded.output, tape.input(random_tensor({seq_len, batch, D * H}, 7)))));
  for (std::size_t b = 0; b < batch; ++b) {
    const auto length = static_cast<std::size_t>(lengths(b));
    Tape alone_tape;
    const Tensor xb = xt::view(x, xt::range(0, length), xt::range(b, b + 1), xt::all());
    const Run alone = run(layer, alone_tape.input(xb), Var(), Var());
    const Tensor ours = xt::view(padded.output.value(), xt::range(0, length), xt::range(b, b + 1),
                                 xt::all());
    RECUR_CHECK_CLOSE(ours, alone.output.value(), 1e-5, 1e-6);
    const Tensor h_n = xt::view(padded.h_n.value(), xt::all(), xt::range(b, b + 1), xt::all());
    RECUR_CHECK_CLOSE(h_n, alone.h_n.value(), 1e-5, 1e-6);
    for (std::size_t t = length; t < seq_len; ++t) {
      for (std::size_t j = 0; j < D * H; ++j)
        BOOST_TEST(padded.output.value()(t, b, j) == 0.0f, "output past the end, t=" << t);
      for (std::size_t j = 0; j < I; ++j)
        BOOST_TEST(input.grad()(t, b, j) == 0.0f, "gradient past the end, t=" << t);
    }
  }
}

BOOST_AUTO_TEST_CASE(parameters_have_pytorch_names_shapes_and_order) {
  nn::LSTM lstm({.input_size = 5, .hidden_size = 6, .num_layers = 2, .bidirectional = true,
                 .proj_size = 3});
  std::vector<std::string> names;
  std::vector<Shape> shapes;
  for (auto& [name, p] : lstm.named_parameters()) {
    names.push_back(name);
    shapes.push_back(shape_of(p->value));
  }
  const std::vector<std::string> expected_names{
      "weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "weight_hr_l0",
      "weight_ih_l0_reverse", "weight_hh_l0_reverse", "bias_ih_l0_reverse", "bias_hh_l0_reverse",
      "weight_hr_l0_reverse",
      "weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1", "weight_hr_l1",
      "weight_ih_l1_reverse", "weight_hh_l1_reverse", "bias_ih_l1_reverse", "bias_hh_l1_reverse",
      "weight_hr_l1_reverse"};
  BOOST_TEST(names == expected_names, boost::test_tools::per_element());
  BOOST_TEST((shapes[0] == Shape{24, 5}));
  BOOST_TEST((shapes[1] == Shape{24, 3}));
  BOOST_TEST((shapes[4] == Shape{3, 6}));
  BOOST_TEST((shapes[10] == Shape{24, 6}));  // layer 1 reads both directions' projections

  nn::GRU gru({.input_size = 2, .hidden_size = 5, .bias = false});
  BOOST_TEST(gru.named_parameters().size() == 2u);
  BOOST_TEST((shape_of(parameter_named(gru, "weight_hh_l0").value) == Shape{15, 5}));
  nn::GRUCell cell({.input_size = 2, .hidden_size = 5});
  BOOST_TEST(cell.named_parameters()[3].first == "bias_hh");
}

BOOST_AUTO_TEST_CASE(initialisation_is_uniform_within_one_over_sqrt_hidden) {
  manual_seed(3);
  nn::RNN rnn({.input_size = 30, .hidden_size = 25});
  const float bound = 1.0f / 5.0f;
  for (auto& [name, p] : rnn.named_parameters()) {
    float low = 1, high = -1;
    for (float v : p->value) low = std::min(low, v), high = std::max(high, v);
    BOOST_TEST(low >= -bound, name);
    BOOST_TEST(high <= bound, name);
    BOOST_TEST(high - low > bound, name << " is not spread over the range");
  }
}

BOOST_AUTO_TEST_CASE(forget_bias_shifts_only_the_forget_slice_of_bias_ih) {
  manual_seed(4);
  const std::size_t hidden = 8;
  const float bound = 1.0f / std::sqrt(8.0f);
  nn::LSTM lstm({.input_size = 3, .hidden_size = hidden, .num_layers = 2, .forget_bias = 1.0f});
  nn::LSTMCell cell({.input_size = 3, .hidden_size = hidden, .forget_bias = 1.0f});
  for (Parameter* bias : {&parameter_named(lstm, "bias_ih_l0"), &parameter_named(lstm, "bias_ih_l1"),
                          &parameter_named(cell, "bias_ih")})
    for (std::size_t j = 0; j < 4 * hidden; ++j) {
      const bool forget = j >= hidden && j < 2 * hidden;
      BOOST_TEST(std::abs(bias->value(j) - (forget ? 1.0f : 0.0f)) <= bound, "element " << j);
    }
  for (float v : parameter_named(lstm, "bias_hh_l0").value) BOOST_TEST(std::abs(v) <= bound);
  BOOST_CHECK_THROW(nn::LSTM({.input_size = 3, .hidden_size = 4, .bias = false,
                              .forget_bias = 1.0f}),
                    ValueError);
}

// Dropout between layers acts in training only, and not after the last layer.
BOOST_AUTO_TEST_CASE(dropout_between_layers_is_active_in_training_only) {
  manual_seed(5);
  nn::LSTM with_dropout({.input_size = 3, .hidden_size = 6, .num_layers = 2, .dropout = 0.5f});
  nn::LSTM without({.input_size = 3, .hidden_size = 6, .num_layers = 2});
  for (auto& [name, p] : without.named_parameters())
    p->value = parameter_named(with_dropout, name).value;
  const Tensor x = random_tensor({4, 2, 3}, 8);
  Tape tape;
  const Tensor reference = without(tape.input(x)).output.value();
  const Tensor training = with_dropout(tape.input(x)).output.value();
  BOOST_TEST(!test::compare(training, reference, 1e-3, 1e-4).empty(), "dropout changed nothing");
  with_dropout.eval();
  RECUR_CHECK_CLOSE(with_dropout(tape.input(x)).output.value(), reference, 0, 0);

  nn::GRU one_layer({.input_size = 3, .hidden_size = 6, .dropout = 0.5f});
  const Tensor first = one_layer(tape.input(x)).output.value();
  RECUR_CHECK_CLOSE(one_layer(tape.input(x)).output.value(), first, 0, 0);
}

// Variational recurrent dropout: each sequence gets one mask on h for all its steps. Such a
// run equals a dropout-free run whose W_hh has the dropped columns zeroed and the kept ones
// scaled by 1/(1-p): a mask redrawn per step could not match any fixed W_hh. The dropped units
// are read off the gradient of W_hh (their columns get nothing), sequence by sequence.
BOOST_AUTO_TEST_CASE(recurrent_dropout_uses_one_mask_per_sequence_for_every_step) {
  manual_seed(6);
  const std::size_t seq_len = 6, batch = 3, hidden = 8;
  const float p = 0.5f;
  nn::LSTM dropped({.input_size = 3, .hidden_size = hidden, .recurrent_dropout = p});
  const Tensor x = random_tensor({seq_len, batch, 3}, 9);
  Tape tape;
  const Var output = dropped(tape.input(x)).output;
  std::set<std::vector<bool>> distinct_masks;
  for (std::size_t b = 0; b < batch; ++b) {
    Tensor projection = zeros({seq_len, batch, hidden});
    xt::view(projection, xt::all(), b, xt::all()) = random_tensor({seq_len, hidden}, 20 + b);
    dropped.zero_grad();
    tape.backward(sum(mul(output, tape.input(projection))));
    const Tensor& grad_hh = parameter_named(dropped, "weight_hh_l0").grad;
    std::vector<bool> kept(hidden);
    for (std::size_t j = 0; j < hidden; ++j)
      for (std::size_t g = 0; g < 4 * hidden; ++g) kept[j] = kept[j] || grad_hh(g, j) != 0.0f;
    distinct_masks.insert(kept);

    nn::LSTM reference({.input_size = 3, .hidden_size = hidden});
    for (auto& [name, param] : reference.named_parameters())
      param->value = parameter_named(dropped, name).value;
    Tensor& w_hh = parameter_named(reference, "weight_hh_l0").value;
    for (std::size_t j = 0; j < hidden; ++j)
      xt::view(w_hh, xt::all(), j) *= kept[j] ? 1.0f / (1.0f - p) : 0.0f;
    Tape reference_tape;
    const Tensor xb = xt::view(x, xt::all(), xt::range(b, b + 1), xt::all());
    const Tensor expected = reference(reference_tape.input(xb)).output.value();
    const Tensor ours = xt::view(output.value(), xt::all(), xt::range(b, b + 1), xt::all());
    RECUR_CHECK_CLOSE(ours, expected, 1e-5, 1e-6);
  }
  BOOST_TEST(distinct_masks.size() > 1u, "every sequence got the same mask");

  // In eval() it is off: the output equals the dropout-free layer's.
  dropped.eval();
  nn::LSTM plain({.input_size = 3, .hidden_size = hidden});
  for (auto& [name, param] : plain.named_parameters()) param->value = parameter_named(dropped, name).value;
  RECUR_CHECK_CLOSE(dropped(tape.input(x)).output.value(), plain(tape.input(x)).output.value(), 0, 0);
}

// Truncated BPTT: a stateful model reads a long stream chunk by chunk, carrying (h, c) from one
// chunk to the next without a gradient path, so every chunk's tape is the same size.
BOOST_AUTO_TEST_CASE(truncated_bptt_trains_on_a_stream_in_fixed_memory) {
  manual_seed(7);
  const std::size_t chunk_len = 10, streams = 4, hidden = 16, chunks = 80;
  nn::LSTM lstm({.input_size = 1, .hidden_size = hidden});
  Parameter head_weight(random_tensor({1, hidden}, 10) * 0.1f), head_bias(zeros({1}));
  std::vector<Parameter*> parameters = lstm.parameters();
  parameters.push_back(&head_weight);
  parameters.push_back(&head_bias);
  // Each stream is a sine wave with its own phase; the task is to predict the next value.
  const auto signal = [](std::size_t t, std::size_t stream) {
    return std::sin(0.3f * static_cast<float>(t) + 1.3f * static_cast<float>(stream));
  };
  Tensor carried_h = zeros({1, streams, hidden}), carried_c = zeros({1, streams, hidden});
  std::vector<double> losses;
  std::vector<std::size_t> memory, nodes;
  Tape tape;
  for (std::size_t chunk = 0; chunk < chunks; ++chunk) {
    Tensor x = zeros({chunk_len, streams, 1}), target = zeros({chunk_len * streams, 1});
    for (std::size_t t = 0; t < chunk_len; ++t)
      for (std::size_t s = 0; s < streams; ++s) {
        x(t, s, 0) = signal(chunk * chunk_len + t, s);
        target(t * streams + s, 0) = signal(chunk * chunk_len + t + 1, s);
      }
    tape.clear();
    // The carried state enters as plain data: the chunk before is cut off (detached).
    const nn::LSTMResult out =
        lstm(tape.input(x), {tape.input(carried_h), tape.input(carried_c)});
    const Var rows = reshape(out.output, {chunk_len * streams, hidden});
    const Var prediction = linear(rows, tape.parameter(head_weight), tape.parameter(head_bias));
    const Var loss = mse_loss(prediction, tape.input(target));
    for (Parameter* p : parameters) p->zero_grad();
    tape.backward(loss);
    for (Parameter* p : parameters) {
      p->value -= 0.5f * p->grad;
      p->bump_version();
    }
    carried_h = detach(out.state.h).value();
    carried_c = detach(out.state.c).value();
    losses.push_back(loss.value()());
    memory.push_back(tape.memory_bytes());
    nodes.push_back(tape.size());
  }
  for (std::size_t chunk = 1; chunk < chunks; ++chunk) {
    BOOST_TEST(memory[chunk] == memory[0], "tape memory grew at chunk " << chunk);
    BOOST_TEST(nodes[chunk] == nodes[0]);
  }
  double first = 0, last = 0;
  for (std::size_t k = 0; k < 10; ++k) first += losses[k], last += losses[chunks - 1 - k];
  BOOST_TEST_MESSAGE("truncated BPTT: loss " << first / 10 << " -> " << last / 10 << ", tape "
                     << memory[0] << " bytes in every chunk");
  BOOST_TEST(last < 0.3 * first, "loss went from " << first / 10 << " to " << last / 10);
}

// detach() on the carried state stops the gradient at the chunk boundary: the second chunk's
// gradients equal those of a fresh tape that starts from the same state values.
BOOST_AUTO_TEST_CASE(detached_state_sends_no_gradient_into_the_previous_chunk) {
  manual_seed(8);
  nn::GRU gru({.input_size = 2, .hidden_size = 5});
  const Tensor first_chunk = random_tensor({4, 3, 2}, 11), second_chunk = random_tensor({4, 3, 2}, 12);
  const Tensor projection = random_tensor({4, 3, 5}, 13);
  const auto second_grads = [&](bool cut) {
    Tape tape;
    const Var h = gru(tape.input(first_chunk)).h_n;
    const Var start = cut ? detach(h) : h;
    gru.zero_grad();
    tape.backward(sum(mul(gru(tape.input(second_chunk), start).output, tape.input(projection))));
    return Tensor(parameter_named(gru, "weight_ih_l0").grad);
  };
  Tensor fresh;
  {
    Tape tape;
    const Tensor state = gru(tape.input(first_chunk)).h_n.value();
    gru.zero_grad();
    tape.backward(sum(mul(gru(tape.input(second_chunk), tape.input(state)).output,
                          tape.input(projection))));
    fresh = parameter_named(gru, "weight_ih_l0").grad;
  }
  RECUR_CHECK_CLOSE(second_grads(true), fresh, 1e-6, 1e-7);
  BOOST_TEST(!test::compare(second_grads(false), fresh, 1e-4, 1e-6).empty(),
             "without detach the first chunk should receive gradient too");
}

// Inference under no_grad records no backward information but computes the same values.
BOOST_AUTO_TEST_CASE_TEMPLATE(no_grad_inference_gives_the_same_output, Layer, RecurrentLayers) {
  manual_seed(9);
  Layer layer(Traits<Layer>::options(I, H, L, true));
  layer.eval();
  const Tensor x = random_tensor({T, B, I}, 14);
  const IndexTensor lengths{3, 1};
  Tape tape;
  const Run recorded = run(layer, tape.input(x), Var(), Var(), &lengths);
  NoGradGuard no_grad;
  const Run inference = run(layer, tape.input(x), Var(), Var(), &lengths);
  BOOST_TEST(!inference.output.requires_grad());
  RECUR_CHECK_CLOSE(inference.output.value(), recorded.output.value(), 0, 0);
  RECUR_CHECK_CLOSE(inference.h_n.value(), recorded.h_n.value(), 0, 0);
}

// As in torch.nn, an unbatched [T, I] input with [L*D, H] states is a batch of one.
BOOST_AUTO_TEST_CASE_TEMPLATE(unbatched_input_runs_as_a_batch_of_one, Layer, RecurrentLayers) {
  manual_seed(10);
  Layer layer(Traits<Layer>::options(I, H, L, true));
  const Tensor x = random_tensor({T, I}, 15), h0 = random_tensor({L * D, H}, 16);
  const Tensor c0 = random_tensor({L * D, H}, 17);
  Tape tape;
  const bool lstm = Traits<Layer>::has_cell_state;
  const Run flat_run = run(layer, tape.input(x), tape.input(h0), lstm ? tape.input(c0) : Var());
  const Run batched = run(layer, tape.input(reshaped(x, {T, 1, I})),
                          tape.input(reshaped(h0, {L * D, 1, H})),
                          lstm ? tape.input(reshaped(c0, {L * D, 1, H})) : Var());
  BOOST_TEST((shape_of(flat_run.output.value()) == Shape{T, D * H}));
  BOOST_TEST((shape_of(flat_run.h_n.value()) == Shape{L * D, H}));
  RECUR_CHECK_CLOSE(flat_run.output.value(), reshaped(batched.output.value(), {T, D * H}), 0, 0);
  RECUR_CHECK_CLOSE(flat_run.h_n.value(), reshaped(batched.h_n.value(), {L * D, H}), 0, 0);
  BOOST_CHECK_THROW(run(layer, tape.input(x), tape.input(zeros({L * D, 1, H})),
                        lstm ? tape.input(c0) : Var()),
                    ShapeError);
}

BOOST_AUTO_TEST_CASE(wrong_shapes_name_the_layer_and_the_shapes) {
  nn::LSTM lstm({.input_size = 4, .hidden_size = 6, .num_layers = 2});
  Tape tape;
  const auto message_of = [](auto&& call) {
    try {
      call();
    } catch (const ShapeError& error) {
      return std::string(error.what());
    }
    return std::string("no ShapeError");
  };
  std::string message = message_of([&] { lstm(tape.input(zeros({5, 3, 7}))); });
  BOOST_TEST(message.find("LSTM") != std::string::npos, message);
  BOOST_TEST(message.find("[5, 3, 7]") != std::string::npos, message);
  BOOST_TEST(message.find("[T, B, 4]") != std::string::npos, message);

  const Var x = tape.input(zeros({5, 3, 4}));
  message = message_of([&] { lstm(x, {tape.input(zeros({1, 3, 6})), tape.input(zeros({2, 3, 6}))}); });
  BOOST_TEST(message.find("h0") != std::string::npos, message);
  BOOST_TEST(message.find("[2, 3, 6]") != std::string::npos, message);
  BOOST_TEST(message.find("[1, 3, 6]") != std::string::npos, message);

  nn::GRUCell cell({.input_size = 4, .hidden_size = 6});
  message = message_of([&] { cell(tape.input(zeros({3, 5}))); });
  BOOST_TEST(message.find("GRUCell") != std::string::npos, message);
  BOOST_TEST(message.find("[3, 5]") != std::string::npos, message);
  message = message_of([&] { cell(tape.input(zeros({3, 4})), tape.input(zeros({2, 6}))); });
  BOOST_TEST(message.find("[2, 6]") != std::string::npos, message);
}

BOOST_AUTO_TEST_CASE(bad_lengths_and_options_name_the_layer_and_values) {
  nn::RNN rnn({.input_size = 2, .hidden_size = 3});
  Tape tape;
  const Var x = tape.input(zeros({4, 3, 2}));
  const auto message_of = [&](const IndexTensor& lengths) {
    try {
      rnn(x, lengths);
    } catch (const ValueError& error) {
      return std::string(error.what());
    }
    return std::string("no ValueError");
  };
  for (const IndexTensor& lengths : {IndexTensor{4, 0, 2}, IndexTensor{4, 5, 2}, IndexTensor{4, 2}}) {
    const std::string message = message_of(lengths);
    BOOST_TEST(message.find("RNN") != std::string::npos, message);
    BOOST_TEST(message.find(shape_str(lengths)) != std::string::npos, message);
  }
  BOOST_CHECK_THROW(nn::LSTM({.input_size = 2, .hidden_size = 0}), ValueError);
  BOOST_CHECK_THROW(nn::LSTM({.input_size = 2, .hidden_size = 3, .proj_size = 3}), ValueError);
  BOOST_CHECK_THROW(nn::GRU({.input_size = 2, .hidden_size = 3, .dropout = 1.0f}), ValueError);
  BOOST_CHECK_THROW(nn::RNN({.input_size = 2, .hidden_size = 3, .recurrent_dropout = -0.1f}),
                    ValueError);
  nn::LSTM lstm({.input_size = 2, .hidden_size = 3});
  BOOST_CHECK_THROW(lstm(x, {tape.input(zeros({1, 3, 3})), Var()}), ValueError);
}

BOOST_AUTO_TEST_SUITE_END()
