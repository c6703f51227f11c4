// recurrence_reference(): recurrence() recorded op by op, the oracle of the engine's tests.
//   gates_x = X W_ih^T + b                 one linear() for all T steps: [T*B, G]
//   per step t (T-1 down to 0 in reverse):
//     pre = gates_x[t] (+ h W_hh^T for dense; separate: hidden = h W_hh^T + b_hh)
//     states = cell.composite(pre, hidden, states, vectors)     the cell's step on Vars
//     [h = h W_hr^T]
//     padded rows: where(mask, new, old) keeps their state, their output is zero
// The tape records every op; walking it backwards is backpropagation through time.
#include <algorithm>
#include <string>
#include <vector>

#include "autograd/ops/elementwise.hpp"
#include "autograd/ops/linalg.hpp"
#include "autograd/ops/nn_ops.hpp"
#include "autograd/ops/recurrence.hpp"
#include "autograd/ops/shape_ops.hpp"
#include "autograd/recurrence/plan.hpp"
#include "autograd/tape.hpp"

namespace recur {

RecurrenceResult recurrence_reference(const cell::CellSpec& cell, const RecurrenceInputs& in) {
  using detail::recurrence::Dims;
  const Dims d = detail::recurrence::check(cell, in);
  const std::size_t T = d.T, B = d.B, P = d.P, G = d.G(), S = d.S();
  Tape& tape = in.input.tape();
  const Var bias_x = d.dense() && in.bias_ih.defined() && in.bias_hh.defined()
                         ? add(in.bias_ih, in.bias_hh)
                     : d.dense() && in.bias_hh.defined() ? in.bias_hh
                                                         : in.bias_ih;
  const Var gates_x = reshape(linear(in.input, in.weight_ih, bias_x), {T * B, G});
  std::array<Var, cell::kMaxStates> state;
  for (std::size_t k = 0; k < S; ++k)
    state[k] = in.initial[k].defined() ? in.initial[k] : tape.zeros({B, d.width(k)});
  std::vector<Var> outputs(T);
  for (std::size_t n = 0; n < T; ++n) {
    const std::size_t t = d.time(n);
    cell::CompositeArgs args;
    args.gates = slice(gates_x, 0, t * B, (t + 1) * B);
    if (d.R() > 0) {
      std::vector<Var> fed_back(state.begin(), state.begin() + static_cast<long>(d.R()));
      if (in.recurrent_mask.defined()) fed_back[0] = mul(fed_back[0], in.recurrent_mask);
      const Var h_in = fed_back.size() == 1 ? fed_back[0] : concat(fed_back, 1);
      if (d.dense()) args.gates = add(args.gates, matmul(h_in, in.weight_hh, false, true));
      else args.hidden = linear(h_in, in.weight_hh, in.bias_hh);
    }
    args.states = state;
    args.vectors = in.vectors;
    std::array<Var, cell::kMaxStates> next = cell.composite(args);
    if (in.weight_hr.defined()) next[0] = matmul(next[0], in.weight_hr, false, true);
    const auto time = static_cast<std::int64_t>(t);
    const bool padded = in.lengths != nullptr &&
                        std::any_of(in.lengths->begin(), in.lengths->end(),
                                    [&](std::int64_t length) { return length <= time; });
    if (padded) {
      // Sequences already over keep their state and output zeros (packed-sequence meaning);
      // the reverse direction thus starts at each sequence's own last step.
      Tensor mask = zeros({B, 1});
      for (std::size_t b = 0; b < B; ++b)
        if (static_cast<std::int64_t>(t) < (*in.lengths)(b)) mask(b, 0) = 1.0f;
      outputs[t] = mul_mask(next[0], mask);
      for (std::size_t k = 0; k < S; ++k) next[k] = recur::where(mask, next[k], state[k]);
    } else {
      outputs[t] = next[0];
    }
    state = next;
  }
  RecurrenceResult result;
  result.output = reshape(concat(outputs, 0), {T, B, P});
  for (std::size_t k = 0; k < S; ++k) result.final[k] = state[k];
  return result;
}

}  // namespace recur
