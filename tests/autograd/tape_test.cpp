// The tape's behaviour: long chains, misuse errors, parameter versions, no_grad, gradients of
// intermediate values, buffer reuse across steps, detach.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cmath>

#include "autograd/no_grad.hpp"
#include "autograd/ops/elementwise.hpp"
#include "autograd/ops/linalg.hpp"
#include "autograd/ops/reductions.hpp"
#include "autograd/ops/shape_ops.hpp"
#include "autograd/parameter.hpp"
#include "autograd/tape.hpp"
#include "core/error.hpp"
#include "core/random.hpp"
#include "support/check.hpp"
#include "support/errors.hpp"
#include "support/tensors.hpp"

using namespace recur;
using recur::test::contains;
using recur::test::error_message;
using recur::test::random_tensor;

BOOST_AUTO_TEST_SUITE(tape)

BOOST_AUTO_TEST_CASE(chain_of_200000_ops_backpropagates_without_recursion) {
  // y = (-(... (-(x + 0.25)) + 0.25 ...)): 100,000 add/neg pairs, so dy/dx = (-1)^100000 = 1
  // exactly; a single wrong or missing rule would give -1 or 0.
  Tape tape;
  const Tensor x0 = Tensor{{0.5f, -1.0f}, {2.0f, 0.0f}};
  const Var x = tape.input(x0, true);
  Var y = x;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 100000; ++i) y = mul_scalar(add_scalar(y, 0.25f), -1.0f);
  // A tanh at the end makes the gradient depend on the value carried through the chain.
  const Var loss = sum(tanh(y));
  const auto recorded = std::chrono::steady_clock::now();
  tape.backward(loss);
  const auto done = std::chrono::steady_clock::now();
  BOOST_TEST(tape.size() == 200003u);
  // Each pair maps v -> -(v + 0.25): after an even number of pairs, v is back to x.
  RECUR_CHECK_CLOSE(y.value(), x0, 0.0, 0.0);
  const Tensor expected = 1.0f - xt::square(xt::tanh(x0));
  RECUR_CHECK_CLOSE(x.grad(), expected, 1e-6, 1e-7);
  using milliseconds = std::chrono::duration<double, std::milli>;
  const double record_ms = milliseconds(recorded - start).count();
  const double backward_ms = milliseconds(done - recorded).count();
  BOOST_TEST_MESSAGE("200,003 nodes: record " << record_ms << " ms, backward " << backward_ms
                     << " ms, " << tape.memory_bytes() << " tensor bytes, sizeof(Node) "
                     << sizeof(Node));
}

BOOST_AUTO_TEST_CASE(var_used_after_clear_throws_instead_of_reading_stale_memory) {
  Tape tape;
  const Var x = tape.input(full({2, 2}, 1.0f), true);
  const Var y = tanh(x);
  tape.backward(sum(y));
  tape.clear();
  const std::string message = error_message<TapeError>([&] { (void)y.value(); });
  BOOST_TEST(contains(message, "cleared"), message);
  BOOST_TEST(contains(message, "forward pass again"), message);
  BOOST_CHECK_THROW((void)x.grad(), TapeError);
  BOOST_CHECK_THROW((void)y.shape(), TapeError);
  const std::string in_op = error_message<TapeError>([&] { tanh(y); });
  BOOST_TEST(contains(in_op, "tanh"), in_op);
  BOOST_TEST(contains(in_op, "cleared"), in_op);
  BOOST_CHECK_THROW(tape.backward(y, full({2, 2}, 1.0f)), TapeError);
  // New values recorded in the old slots do not revive the old handles.
  const Var z = tape.input(full({2, 2}, 3.0f), true);
  const Var w = tanh(z);
  BOOST_TEST(w.index() == y.index());
  BOOST_CHECK_THROW((void)y.value(), TapeError);
  // After the memory is given back, the old handles still throw rather than touch it.
  tape.release_memory();
  BOOST_CHECK_THROW((void)w.value(), TapeError);
  BOOST_CHECK_THROW(tape.backward(w, full({2, 2}, 1.0f)), TapeError);
}

BOOST_AUTO_TEST_CASE(var_from_another_tape_in_an_op_throws) {
  Tape first, second;
  const Var a = first.input(full({2}, 1.0f), true);
  const Var b = second.input(full({2}, 2.0f), true);
  const std::string message = error_message<TapeError>([&] { add(a, b); });
  BOOST_TEST(contains(message, "add"), message);
  BOOST_TEST(contains(message, "different tapes"), message);
  BOOST_CHECK_THROW(first.backward(b, full({2}, 1.0f)), TapeError);
  BOOST_CHECK_THROW(concat({a, b}, 0), TapeError);
  BOOST_TEST(first.size() == 1u);
  BOOST_TEST(second.size() == 1u);
  // An empty handle is refused too.
  BOOST_CHECK_THROW(tanh(Var()), TapeError);
}

BOOST_AUTO_TEST_CASE(parameter_changed_before_backward_throws_and_leaves_grad_unchanged) {
  Parameter weight(random_tensor({3, 2}, 1));
  std::fill(weight.grad.begin(), weight.grad.end(), 0.5f);
  const Tensor grad_before = weight.grad;
  Tape tape;
  const Var x = tape.input(random_tensor({4, 3}, 2), true);
  const Var loss = sum(tanh(matmul(x, tape.parameter(weight))));
  weight.value += 0.1f;  // an optimiser step in the wrong place
  weight.bump_version();
  const std::string message = error_message<TapeError>([&] { tape.backward(loss); });
  BOOST_TEST(contains(message, "modified after the forward pass"), message);
  BOOST_TEST(contains(message, "[3, 2]"), message);
  RECUR_CHECK_CLOSE(weight.grad, grad_before, 0.0, 0.0);
  // The input's gradient was not started either.
  RECUR_CHECK_CLOSE(x.grad(), zeros({4, 3}), 0.0, 0.0);
}

BOOST_AUTO_TEST_CASE(no_grad_records_neither_inputs_nor_rules) {
  Parameter weight(random_tensor({3, 2}, 3));
  Tape tape;
  const Var x = tape.input(random_tensor({4, 3}, 4), true);
  Var y;
  {
    NoGradGuard no_grad;
    y = sum(tanh(matmul(x, tape.parameter(weight))));
  }
  BOOST_TEST(grad_enabled());
  BOOST_TEST(!y.requires_grad());
  for (std::uint32_t i = 0; i < tape.size(); ++i) {
    const Node& node = tape.node(i);
    BOOST_TEST(node.inputs.empty(), "node " << i << " (" << node.op << ") kept inputs");
    BOOST_TEST(!node.rule, "node " << i << " (" << node.op << ") kept a rule");
  }
  const std::string message = error_message<TapeError>([&] { tape.backward(y); });
  BOOST_TEST(contains(message, "backward"), message);
  BOOST_TEST(contains(message, "no_grad"), message);
  BOOST_CHECK_THROW((void)y.grad(), TapeError);
  // The parameter's leaf, first made under no_grad, still carries a gradient once grad mode is
  // back in the same step.
  const Var loss = sum(matmul(x, tape.parameter(weight)));
  tape.backward(loss);
  BOOST_TEST(xt::sum(xt::abs(weight.grad))() > 0.0f);
}

BOOST_AUTO_TEST_CASE(gradients_of_hidden_states_match_finite_differences) {
  // h_t = tanh(h_{t-1} W + x_t), L = sum(p * h_T). Checks dL/dh_1 (a hidden node) against central
  // differences of the loss as a function of h_1.
  const std::size_t steps = 4;
  const Tensor w = random_tensor({3, 3}, 5), p = random_tensor({2, 3}, 6);
  std::vector<Tensor> xs;
  for (std::size_t t = 0; t < steps; ++t) xs.push_back(random_tensor({2, 3}, 10 + t));
  const Tensor h0 = random_tensor({2, 3}, 7);

  // The loss from h_1 on, in double for the finite differences.
  auto loss_from_h1 = [&](const Tensor& h1) {
    Tape tape;
    const Var wv = tape.input(w);
    Var h = tape.input(h1);
    for (std::size_t t = 1; t < steps; ++t) h = tanh(matmul(h, wv) + tape.input(xs[t]));
    double loss = 0.0;
    for (std::size_t i = 0; i < h.value().size(); ++i)
      loss += static_cast<double>(p.data()[i]) * h.value().data()[i];
    return loss;
  };

  Tape tape;
  const Var wv = tape.input(w, true);
  Var h = tape.input(h0);
  std::vector<Var> hidden;
  Var unused;
  for (std::size_t t = 0; t < steps; ++t) {
    h = tanh(matmul(h, wv) + tape.input(xs[t]));
    hidden.push_back(h);
    if (t == 1) unused = tanh(h) * 2.0f;  // a branch no loss path reaches
  }
  tape.backward(sum(h * tape.input(p)));

  const Tensor h1 = hidden[0].value();
  Tensor numeric = zeros({2, 3});
  const float step = 1e-2f;
  for (std::size_t i = 0; i < h1.size(); ++i) {
    Tensor plus = h1, minus = h1;
    plus.data()[i] += step;
    minus.data()[i] -= step;
    numeric.data()[i] = static_cast<float>((loss_from_h1(plus) - loss_from_h1(minus)) /
                                           (static_cast<double>(plus.data()[i]) - minus.data()[i]));
  }
  RECUR_CHECK_CLOSE(hidden[0].grad(), numeric, 2e-3, 2e-4);
  BOOST_TEST(xt::sum(xt::abs(hidden[0].grad()))() > 0.01f);
  // dL/dh_T is p itself.
  RECUR_CHECK_CLOSE(hidden.back().grad(), p, 1e-6, 0.0);
  RECUR_CHECK_CLOSE(unused.grad(), zeros({2, 3}), 0.0, 0.0);
}

BOOST_AUTO_TEST_CASE(nodes_newer_than_the_root_read_zero_after_a_second_backward) {
  Tape tape;
  const Var x = tape.input(full({2}, 0.5f), true);
  const Var a = x * 3.0f;
  const Var loss_a = sum(a);
  const Var b = a * 2.0f;
  tape.backward(sum(b));
  RECUR_CHECK_CLOSE(a.grad(), full({2}, 2.0f), 0.0, 0.0);
  RECUR_CHECK_CLOSE(b.grad(), full({2}, 1.0f), 0.0, 0.0);
  tape.backward(loss_a);  // b is newer than this root: nothing reaches it now
  RECUR_CHECK_CLOSE(b.grad(), zeros({2}), 0.0, 0.0);
  RECUR_CHECK_CLOSE(x.grad(), full({2}, 3.0f), 0.0, 0.0);
}

BOOST_AUTO_TEST_CASE(steady_loop_reuses_buffers_and_accumulates_parameter_grads) {
  Parameter weight(random_tensor({4, 3}, 8));
  Parameter bias(random_tensor({4}, 9));
  const Tensor x = random_tensor({5, 3}, 10);
  Tape tape;
  std::vector<std::size_t> memory;
  std::vector<const float*> output_buffer;
  Tensor grad_after_first;
  for (int step = 0; step < 5; ++step) {
    tape.clear();
    const Var hidden = tanh(linear(tape.input(x), tape.parameter(weight), tape.parameter(bias)));
    const Var pieces = concat(chunk(hidden, 2, 1), 0);
    const Var loss = mean(pieces * pieces);
    tape.backward(loss);
    memory.push_back(tape.memory_bytes());
    output_buffer.push_back(hidden.value().data());
    if (step == 0) grad_after_first = weight.grad;
    if (step == 1) RECUR_CHECK_CLOSE(weight.grad, 2.0f * grad_after_first, 1e-6, 0.0);
  }
  BOOST_TEST(memory[0] > 0u);
  for (std::size_t step = 2; step < memory.size(); ++step) {
    BOOST_TEST(memory[step] == memory[1], "step " << step);
    BOOST_TEST(output_buffer[step] == output_buffer[1], "step " << step << " reallocated");
  }
  BOOST_TEST(xt::sum(xt::abs(grad_after_first))() > 0.0f);
  tape.release_memory();
  BOOST_TEST(tape.memory_bytes() == 0u);
}

BOOST_AUTO_TEST_CASE(zeros_is_a_constant_rezeroed_in_the_kept_buffer_every_step) {
  Parameter weight(random_tensor({3, 4}, 13));
  Tape tape;
  std::vector<const float*> buffers;
  for (int step = 0; step < 3; ++step) {
    tape.clear();
    // Step 0 leaves non-zero values in node 0's buffer; zeros must not inherit them.
    const Var start = step == 0 ? tape.input(random_tensor({2, 3}, 14)) : tape.zeros({2, 3});
    const Var h = tanh(matmul(start + tape.input(random_tensor({2, 3}, 15)), tape.parameter(weight)));
    tape.backward(sum(h));
    if (step == 0) continue;
    BOOST_TEST(start.index() == 0u);
    RECUR_CHECK_CLOSE(start.value(), zeros({2, 3}), 0.0, 0.0);
    BOOST_TEST(!start.requires_grad());
    buffers.push_back(start.value().data());
  }
  BOOST_TEST(buffers[0] == buffers[1], "the zeros node reallocated its buffer");
}

BOOST_AUTO_TEST_CASE(detach_passes_the_value_but_no_gradient) {
  Parameter weight(random_tensor({3, 3}, 11));
  Tape tape;
  const Var h = tanh(matmul(tape.input(random_tensor({2, 3}, 12)), tape.parameter(weight)));
  const Var carried = detach(h);
  RECUR_CHECK_CLOSE(carried.value(), h.value(), 0.0, 0.0);
  BOOST_TEST(!carried.requires_grad());
  // The weight's use inside h gets no gradient (h reaches the loss only through detach); its two
  // uses in the loss do.
  const Var x2 = tape.input(random_tensor({2, 3}, 13));
  const Var loss = sum(matmul(carried, tape.parameter(weight)) + matmul(x2, tape.parameter(weight)));
  tape.backward(loss);
  // dL/dW = carried^T 1 + x2^T 1.
  Tensor expected = zeros({3, 3});
  for (std::size_t i = 0; i < 3; ++i)
    for (std::size_t j = 0; j < 3; ++j)
      for (std::size_t r = 0; r < 2; ++r)
        expected(i, j) += carried.value()(r, i) + x2.value()(r, i);
  RECUR_CHECK_CLOSE(weight.grad, expected, 1e-5, 1e-6);
  BOOST_TEST(!detach(tape.input(zeros({2}), true)).requires_grad());
}

BOOST_AUTO_TEST_SUITE_END()
