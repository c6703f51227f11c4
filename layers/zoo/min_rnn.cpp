// minGRU's and minLSTM's parallel path: per layer and direction, one affine map of the whole
// sequence, the log coefficients, and a scan in log space (cumsum, logcumsumexp), all ops on the
// tape, so its gradient comes from theirs.
#include "layers/zoo/min_rnn.hpp"

#include <cmath>
#include <cstddef>
#include <memory_resource>
#include <string>
#include <vector>

#include "autograd/anomaly.hpp"
#include "autograd/ops/activations.hpp"
#include "autograd/ops/cumulative.hpp"
#include "autograd/ops/elementwise.hpp"
#include "autograd/ops/layout_ops.hpp"
#include "autograd/ops/linalg.hpp"
#include "autograd/ops/nn_ops.hpp"
#include "autograd/ops/shape_ops.hpp"
#include "autograd/tape.hpp"
#include "core/error.hpp"
#include "core/random.hpp"

namespace recur::nn {

Var log_positive_candidate(const Var& k) {
  // k >= 0: log(1/2) + log(1 + 2k) = log(k + 1/2); k < 0: log sigmoid(k) + 0.
  return log_sigmoid(-relu(-k)) + log(relu(k) * 2.0f + 1.0f);
}

Var log_space_scan(const Var& log_a, const Var& log_b, const Var& h0) {
  if (log_a.rank() != 3 || log_a.shape() != log_b.shape() ||
      (h0.defined() && (h0.rank() != 2 || h0.dim(0) != log_a.dim(1) ||
                        h0.dim(1) != log_a.dim(2))))
    throw ShapeError("log_space_scan: expected log_a and log_b [T, B, H] and h0 [B, H], got " +
                     shape_str(log_a.shape()) + ", " + shape_str(log_b.shape()) + " and " +
                     (h0.defined() ? shape_str(h0.shape()) : std::string("none")));
  const Var a_star = cumsum(log_a, 0);  // log(a_1 ... a_t)
  // sum over s <= t of b_s a_{s+1} ... a_t, in log space
  Var h = exp(a_star + logcumsumexp(log_b - a_star, 0));
  if (h0.defined()) h = h + exp(a_star) * h0;  // h0 [B, H] broadcast over T
  return h;
}

namespace detail {

void linear_uniform(CellParameters& p) {
  const float bound = 1.0f / std::sqrt(static_cast<float>(p.input_size));
  for (Tensor* t : {p.weight_ih, p.bias_ih})
    if (t) *t = p.generator->uniform(Shape(t->shape().begin(), t->shape().end()), -bound, bound);
}

RecurrentResult ScanLayer::sequence(const Var& input, const IndexTensor* lengths,
                                    const std::array<Var, cell::kMaxStates>& initial) {
  if (!parallel_scan_) return run(input, lengths, initial);
  const std::string name = cell().name;
  if (lengths)
    throw ValueError(name + ": the parallel scan takes no lengths (a padded batch); set "
                     "parallel_scan = false to run it on the engine");
  if (!input.defined()) throw ShapeError(name + ": the input is an empty Var");
  for (std::size_t k = 1; k < cell::kMaxStates; ++k)
    if (initial[k].defined())
      throw ValueError(name + ": the cell has 1 state, but an initial state " +
                       std::to_string(k) + " was given");
  if (input.rank() != 2) return scan(input, initial);
  // Unbatched [T, I]: a batch of one, and the results back to 2-D.
  const RecurrentOptions& o = recurrent_options();
  const std::size_t T = input.dim(0);
  std::array<Var, cell::kMaxStates> batched;
  if (initial[0].defined()) {
    if (initial[0].rank() != 2)
      throw ShapeError(name + ": an unbatched input " + shape_str(input.shape()) +
                       " needs a 2-D initial h [layers * directions, features], got " +
                       shape_str(initial[0].shape()));
    batched[0] = reshape(initial[0], {initial[0].dim(0), 1, initial[0].dim(1)});
  }
  if (input.dim(1) != o.input_size || T == 0)
    throw ShapeError(name + ": expected an unbatched input [T, " + std::to_string(o.input_size) +
                     "] (T > 0) but got " + shape_str(input.shape()));
  RecurrentResult r = scan(reshape(input, o.batch_first ? Shape{1, T, o.input_size}
                                                        : Shape{T, 1, o.input_size}),
                           batched);
  r.output = reshape(r.output, {T, r.output.dim(2)});
  r.states[0] = reshape(r.states[0], {r.states[0].dim(0), r.states[0].dim(2)});
  return r;
}

RecurrentResult ScanLayer::scan(const Var& input,
                                const std::array<Var, cell::kMaxStates>& initial) {
  const RecurrentOptions& o = recurrent_options();
  const std::string name = cell().name;
  const ModuleScope scope(this->name());
  if (input.rank() != 3 || input.dim(2) != o.input_size || input.dim(0) == 0 || input.dim(1) == 0)
    throw ShapeError(name + ": expected input " + (o.batch_first ? "[B, T, " : "[T, B, ") +
                     std::to_string(o.input_size) + "] (T, B > 0) but got " +
                     shape_str(input.shape()));
  const std::size_t directions = o.bidirectional ? 2 : 1, H = o.hidden_size;
  const std::size_t batch = input.dim(o.batch_first ? 0 : 1), count = o.num_layers * directions;
  const Var& h0 = initial[0];
  if (h0.defined() && (h0.rank() != 3 || h0.dim(0) != count || h0.dim(1) != batch ||
                       h0.dim(2) != H))
    throw ShapeError(name + ": expected h0 " + shape_str(Shape{count, batch, H}) +
                     " ([layers * directions, B, features]) for input " +
                     shape_str(input.shape()) + " but got " + shape_str(h0.shape()));
  Tape& tape = input.tape();
  Var x = o.batch_first ? transpose(input, 0, 1) : input;  // [T, B, F]
  const std::size_t T = x.dim(0);
  // The per-forward list lives in a stack buffer, so a steady step allocates nothing here.
  std::array<std::byte, 1024> list_buffer;
  std::pmr::monotonic_buffer_resource lists(list_buffer.data(), list_buffer.size());
  std::pmr::vector<Var> finals(count, &lists);
  for (std::size_t layer = 0; layer < o.num_layers; ++layer) {
    std::array<Var, 2> outputs;
    for (std::size_t direction = 0; direction < directions; ++direction) {
      const std::size_t k = layer * directions + direction;
      Parameter* bias = parameter_of("bias_ih", layer, direction);
      const Var time_ordered = direction == 1 ? flip(x, {0}) : x;  // the reverse runs backwards
      const Var gates = linear(time_ordered, tape.parameter(*parameter_of("weight_ih", layer,
                                                                          direction)),
                               bias ? tape.parameter(*bias) : Var());
      const auto [log_a, log_b] = log_coefficients(gates);
      const Var h = log_space_scan(log_a, log_b, h0.defined() ? select(h0, 0, k) : Var());
      finals[k] = select(h, 0, T - 1);
      outputs[direction] = direction == 1 ? flip(h, {0}) : h;
    }
    x = directions == 2 ? concat({outputs[0], outputs[1]}, 2) : outputs[0];
    if (layer + 1 < o.num_layers && o.dropout > 0.0f && is_training())
      x = dropout(x, o.dropout, true);
  }
  RecurrentResult result;
  result.output = o.batch_first ? transpose(x, 0, 1) : x;
  result.states[0] = stack(finals, 0);
  return result;
}

}  // namespace detail
}  // namespace recur::nn
