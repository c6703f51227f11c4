// The sequence layers' engine. A forward pass, for each layer and direction, is either
//   fused_sequence(X, W_ih, W_hh, ...)   one node for all T steps, input projection included
// (layers/fused_sequence.hpp), or, when a step needs a mask, recurrent dropout or a projection,
//   gates_x = X W_ih^T + bias            one GEMM for all T steps: [T*B, F] -> [T*B, G]
//   for t (T-1 down to 0 in reverse):    state = cell_step(gates_x[t], state)
// then the layer's outputs [T*B, D*Hout] feed the next layer. The tape records every op, so the
// backward walk is backpropagation through time.
#include "layers/recurrent_base.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <memory_resource>
#include <string>

#include "autograd/ops/elementwise.hpp"
#include "autograd/ops/linalg.hpp"
#include "autograd/ops/nn_ops.hpp"
#include "autograd/ops/shape_ops.hpp"
#include "autograd/recorder.hpp"
#include "autograd/tape.hpp"
#include "core/error.hpp"
#include "core/random.hpp"
#include "layers/cell_steps.hpp"
#include "layers/fused_sequence.hpp"

namespace recur::nn::detail {
namespace {

std::string join(const IndexTensor& values) {
  std::string text = "[";
  for (std::size_t i = 0; i < values.size(); ++i)
    text += (i ? ", " : "") + std::to_string(values.data()[i]);
  return text + "]";
}

// Per-step masks of a padded batch: masks[t] is [B, 1], 1 where step t is within the sequence.
// Steps inside every sequence need no mask (`padded[t]` false), so a batch of full-length
// sequences costs nothing extra.
struct StepMasks {
  std::vector<Tensor> masks;
  std::vector<bool> padded;
};

StepMasks step_masks(const std::string& name, const IndexTensor* lengths, std::size_t seq_len,
                     std::size_t batch) {
  // Without lengths no mask exists and `padded` stays empty (see is_padded): a vector of T empty
  // Tensors, or even of T bools, would still cost heap allocations per forward.
  StepMasks result;
  if (lengths == nullptr) return result;
  result.padded.assign(seq_len, false);
  result.masks.resize(seq_len);
  if (lengths->dimension() != 1 || lengths->size() != batch)
    throw ValueError(name + ": lengths must hold one length per sequence (" +
                     std::to_string(batch) + " for input batch " + std::to_string(batch) +
                     "), got shape " + shape_str(lengths->shape()) + " with values " +
                     join(*lengths));
  for (std::int64_t length : *lengths)
    if (length < 1 || length > static_cast<std::int64_t>(seq_len))
      throw ValueError(name + ": every length must be in [1, " + std::to_string(seq_len) +
                       "] (the input's sequence length), got " + join(*lengths));
  for (std::size_t t = 0; t < seq_len; ++t) {
    Tensor mask = zeros({batch, 1});
    for (std::size_t b = 0; b < batch; ++b)
      if (static_cast<std::int64_t>(t) < (*lengths)(b)) mask(b, 0) = 1.0f;
    result.padded[t] = std::find(mask.begin(), mask.end(), 0.0f) != mask.end();
    if (result.padded[t]) result.masks[t] = std::move(mask);
  }
  return result;
}

bool is_padded(const StepMasks& masks, std::size_t t) {
  return !masks.padded.empty() && masks.padded[t];
}

void check_state(const std::string& name, const char* which, const Var& state, const Shape& shape,
                 const Var& input) {
  if (state.defined() &&
      !std::equal(state.shape().begin(), state.shape().end(), shape.begin(), shape.end()))
    throw ShapeError(name + ": expected " + which + " " + shape_str(shape) +
                     " ([layers * directions, B, features]) for input " +
                     shape_str(input.shape()) + " but got " + shape_str(state.shape()));
}

// Variational dropout mask for h (Gal and Ghahramani 2016): one [B, Hout] draw per sequence,
// kept for every step, scaled by 1/(1-p) like inverted dropout. Drawn into a constant node's
// buffer, which the tape keeps from step to step (a Tensor of its own would be allocated per
// forward).
const Tensor& recurrent_dropout_mask(Tape& tape, std::size_t batch, std::size_t features, float p) {
  Tensor& mask = tape.node(tape.zeros({batch, features}).index()).value;
  const float keep_scale = 1.0f / (1.0f - p);
  Generator& generator = default_generator();
  for (float& value : mask) value = generator.next_float() >= p ? keep_scale : 0.0f;
  return mask;
}

// Rows [0, rows) of a [R, F] value viewed as `shape` (rows * F elements): the fused LSTM's result
// without its final-c rows as the layer's [T, B, H] output, in one copy where a slice and a
// reshape made two (and two more gradient buffers of the output's size: peak memory).
Var leading_rows_as(const Var& x, std::size_t rows, const Shape& shape) {
  const std::size_t count = rows * x.dim(1);
  NodeRecorder rec("leading_rows_as", {x});
  Tensor& y = rec.output(shape);
  std::copy_n(x.value().data(), count, y.data());
  return rec.finish([count](BackwardContext& ctx) {
    if (!ctx.needs_grad(0)) return;
    float* grad = ctx.grad_input(0).data();
    const float* dy = ctx.grad_output().data();
    for (std::size_t k = 0; k < count; ++k) grad[k] += dy[k];
  });
}

}  // namespace

RecurrentBase::RecurrentBase(const RecurrentSpec& spec) : spec_(spec) {
  const char* name = spec.name;
  require_positive(name, "input_size", spec.input_size);
  require_positive(name, "hidden_size", spec.hidden_size);
  require_positive(name, "num_layers", spec.num_layers);
  require_probability(name, "dropout", spec.dropout);
  require_probability(name, "recurrent_dropout", spec.recurrent_dropout);
  if (spec.proj_size >= spec.hidden_size && spec.proj_size != 0)
    throw ValueError(std::string(name) + ": proj_size (" + std::to_string(spec.proj_size) +
                     ") must be smaller than hidden_size (" + std::to_string(spec.hidden_size) +
                     ")");
  if (spec.forget_bias != 0.0f && !spec.bias)
    throw ValueError(std::string(name) + ": forget_bias " + std::to_string(spec.forget_bias) +
                     " needs bias = true");
  const std::size_t directions = spec.bidirectional ? 2 : 1;
  const std::size_t hidden = spec.hidden_size;
  const std::size_t out = spec.proj_size ? spec.proj_size : hidden;
  const std::size_t gates = gate_count(spec.kind) * hidden;
  // torch.nn's order: per layer, per direction: weight_ih, weight_hh, bias_ih, bias_hh, weight_hr.
  for (std::size_t layer = 0; layer < spec.num_layers; ++layer) {
    const std::size_t in = layer == 0 ? spec.input_size : directions * out;
    for (std::size_t direction = 0; direction < directions; ++direction) {
      const std::string suffix = "_l" + std::to_string(layer) + (direction ? "_reverse" : "");
      DirectionParameters p;
      p.weight_ih = &register_parameter("weight_ih" + suffix, recurrent_uniform({gates, in}, hidden));
      p.weight_hh = &register_parameter("weight_hh" + suffix, recurrent_uniform({gates, out}, hidden));
      if (spec.bias) {
        p.bias_ih = &register_parameter("bias_ih" + suffix, recurrent_uniform({gates}, hidden));
        p.bias_hh = &register_parameter("bias_hh" + suffix, recurrent_uniform({gates}, hidden));
        if (spec.forget_bias != 0.0f) add_forget_bias(*p.bias_ih, hidden, spec.forget_bias);
      }
      if (spec.proj_size)
        p.weight_hr = &register_parameter("weight_hr" + suffix, recurrent_uniform({out, hidden}, hidden));
      parameters_.push_back(p);
    }
  }
}

RecurrentOutputs RecurrentBase::run(const Var& input, const Var& h0, const Var& c0,
                                    const IndexTensor* lengths) {
  const RecurrentSpec& s = spec_;
  const std::string name = s.name;
  if (input.rank() == 2) return run_unbatched(input, h0, c0, lengths);
  const ModuleScope scope(this->name());  // anomaly errors name the layer's place in the model
  if (input.rank() != 3 || input.dim(2) != s.input_size || input.dim(0) == 0 || input.dim(1) == 0)
    throw ShapeError(name + ": expected input " + (s.batch_first ? "[B, T, " : "[T, B, ") +
                     std::to_string(s.input_size) + "] (T, B > 0) but got " +
                     shape_str(input.shape()));
  const std::size_t seq_len = input.dim(s.batch_first ? 1 : 0);
  const std::size_t batch = input.dim(s.batch_first ? 0 : 1);
  const std::size_t directions = s.bidirectional ? 2 : 1, hidden = s.hidden_size;
  const std::size_t out = s.proj_size ? s.proj_size : hidden;
  const std::size_t states = s.num_layers * directions;
  check_state(name, "h0", h0, {states, batch, out}, input);
  check_state(name, "c0", c0, {states, batch, hidden}, input);
  const StepMasks masks = step_masks(name, lengths, seq_len, batch);
  const bool is_lstm = s.kind == CellKind::lstm;
  const bool drop_recurrent = is_training() && s.recurrent_dropout > 0.0f;
  const bool any_padded = std::find(masks.padded.begin(), masks.padded.end(), true) != masks.padded.end();
  Tape& tape = input.tape();

  // x: [T, B, F] for the first layer (linear() takes it as T*B rows without a reshape), then
  // [T*B, F]; time-major either way, so step t is rows [t*B, (t+1)*B).
  Var x = s.batch_first ? transpose(input, 0, 1) : input;
  Var zero_h, zero_c;  // made on first use, shared by every layer and direction
  // The per-forward lists live in a stack buffer (heap only past ~40 layer-directions), so a
  // steady training step allocates nothing here; `outputs` is only needed off the fused path.
  std::array<std::byte, 2048> list_buffer;
  std::pmr::monotonic_buffer_resource lists(list_buffer.data(), list_buffer.size());
  std::pmr::vector<Var> h_finals(states, &lists), c_finals(states, &lists);
  std::pmr::vector<Var> outputs(&lists);  // heap only past ~80 steps
  Var lstm_sequence;  // the last fused LSTM result, when it is the layer's whole output
  for (std::size_t layer = 0; layer < s.num_layers; ++layer) {
    std::pmr::vector<Var> direction_outputs(&lists);
    for (std::size_t direction = 0; direction < directions; ++direction) {
      const std::size_t k = layer * directions + direction;
      const DirectionParameters& p = parameters_[k];
      StepWeights weights{tape.parameter(*p.weight_hh), Var(),
                          p.weight_hr ? tape.parameter(*p.weight_hr) : Var()};
      Var bias_x;
      if (p.bias_ih) {
        const Var bias_ih = tape.parameter(*p.bias_ih), bias_hh = tape.parameter(*p.bias_hh);
        if (s.kind == CellKind::gru) {
          bias_x = bias_ih;          // b_hn must stay inside r * (h W_hn^T + b_hn)
          weights.bias_hh = bias_hh;
        } else {
          bias_x = add(bias_ih, bias_hh);  // both only add to the pre-activation: fold them
        }
      }
      const Var weight_ih = tape.parameter(*p.weight_ih);

      // Without h0, RNN and LSTM start from an empty (zero) state, which spares the first
      // step's recurrent GEMM; the GRU, and a padded step that must keep the state, get zeros.
      StepState state;
      if (h0.defined()) state.h = select(h0, 0, k);
      if (c0.defined()) state.c = select(c0, 0, k);
      const auto materialise_zero_state = [&] {
        if (!zero_h.defined()) zero_h = tape.zeros({batch, out});
        state.h = zero_h;
        if (is_lstm) {
          if (!zero_c.defined()) zero_c = tape.zeros({batch, hidden});
          state.c = zero_c;
        }
      };
      if (!state.h.defined() && s.kind == CellKind::gru) materialise_zero_state();
      // The fast path: the whole direction as one node (fused_sequence.hpp) when no step needs
      // a mask, a recurrent-dropout mask or a projection.
      if (!p.weight_hr && !drop_recurrent && !any_padded) {
        if (!state.h.defined()) {
          if (!zero_h.defined()) zero_h = tape.zeros({batch, out});
          state.h = zero_h;
        }
        if (is_lstm && !state.c.defined()) {
          if (!zero_c.defined()) zero_c = tape.zeros({batch, hidden});
          state.c = zero_c;
        }
        const Var sequence =
            fused_sequence(s.kind, {x, weight_ih, bias_x, state.h, state.c, weights.weight_hh,
                                    weights.bias_hh}, seq_len, direction == 1);
        const std::size_t rows = seq_len * batch;
        const std::size_t last = direction == 0 ? seq_len - 1 : 0;     // the last step processed
        h_finals[k] = slice(sequence, 0, last * batch, (last + 1) * batch);
        if (is_lstm) c_finals[k] = slice(sequence, 0, rows, rows + batch);
        if (is_lstm && directions == 1 && layer + 1 == s.num_layers) {
          lstm_sequence = sequence;  // becomes the output below without a [T*B, H] slice
          continue;
        }
        direction_outputs.push_back(is_lstm ? slice(sequence, 0, 0, rows) : sequence);  // [T*B, H]
        continue;
      }
      const Tensor* drop_mask =
          drop_recurrent ? &recurrent_dropout_mask(tape, batch, out, s.recurrent_dropout) : nullptr;
      // The step-by-step path: the input projection of all steps at once, in the 2-D [T*B, G]
      // form, whose rows it slices step by step.
      const Var gates_x = linear(x, weight_ih, bias_x);  // [T(*)B, G]
      const Var gate_rows =
          gates_x.rank() == 2 ? gates_x : reshape(gates_x, {seq_len * batch, gates_x.dim(2)});

      outputs.resize(seq_len);
      for (std::size_t step = 0; step < seq_len; ++step) {
        const std::size_t t = direction == 0 ? step : seq_len - 1 - step;
        if (is_padded(masks, t) && !state.h.defined()) materialise_zero_state();
        const Var step_gates = slice(gate_rows, 0, t * batch, (t + 1) * batch);  // [B, G]
        const Var h_in =
            drop_recurrent && state.h.defined() ? mul_mask(state.h, *drop_mask) : state.h;
        StepState next = cell_step(s.kind, step_gates, state, h_in, weights);
        if (is_padded(masks, t)) {
          // Sequences already over keep their state and output zeros (packed-sequence meaning);
          // the reverse direction thus starts at each sequence's own last step.
          const Tensor& mask = masks.masks[t];
          outputs[t] = mul_mask(next.h, mask);
          next.h = recur::where(mask, next.h, state.h);
          if (is_lstm) next.c = recur::where(mask, next.c, state.c);
        } else {
          outputs[t] = next.h;
        }
        state = next;
      }
      direction_outputs.push_back(concat(outputs, 0));  // [T*B, Hout]
      h_finals[k] = state.h;
      c_finals[k] = state.c;
    }
    if (lstm_sequence.defined()) break;  // the last layer, output taken below
    x = directions == 2 ? concat(direction_outputs, 1) : direction_outputs[0];
    if (layer + 1 < s.num_layers && s.dropout > 0.0f && is_training())
      x = dropout(x, s.dropout, true);
  }
  RecurrentOutputs result;
  result.output = lstm_sequence.defined()
                      ? leading_rows_as(lstm_sequence, seq_len * batch, {seq_len, batch, out})
                      : reshape(x, {seq_len, batch, directions * out});
  if (s.batch_first) result.output = transpose(result.output, 0, 1);
  result.h_n = stack(h_finals, 0);
  if (is_lstm) result.c_n = stack(c_finals, 0);
  return result;
}

// [T, I] -> [T, 1, I] (or [1, T, I]), states [L*D, F] -> [L*D, 1, F], and the results back.
RecurrentOutputs RecurrentBase::run_unbatched(const Var& input, const Var& h0, const Var& c0,
                                              const IndexTensor* lengths) {
  const RecurrentSpec& s = spec_;
  const std::string name = s.name;
  const std::size_t seq_len = input.dim(0);
  if (input.dim(1) != s.input_size || seq_len == 0)
    throw ShapeError(name + ": expected an unbatched input [T, " + std::to_string(s.input_size) +
                     "] (T > 0) but got " + shape_str(input.shape()));
  const auto batch_of_one = [&](const Var& state, const char* which) {
    if (!state.defined()) return state;
    if (state.rank() != 2)
      throw ShapeError(name + ": an unbatched input " + shape_str(input.shape()) + " needs a 2-D " +
                       which + " [layers * directions, features], got " + shape_str(state.shape()));
    return reshape(state, {state.dim(0), 1, state.dim(1)});
  };
  const Shape batched = s.batch_first ? Shape{1, seq_len, s.input_size}
                                      : Shape{seq_len, 1, s.input_size};
  RecurrentOutputs result =
      run(reshape(input, batched), batch_of_one(h0, "h0"), batch_of_one(c0, "c0"), lengths);
  const auto drop_batch = [](const Var& v) {
    return v.defined() ? reshape(v, {v.dim(0) * v.dim(1), v.dim(2)}) : v;
  };
  result.output = drop_batch(result.output);
  result.h_n = drop_batch(result.h_n);
  result.c_n = drop_batch(result.c_n);
  return result;
}

}  // namespace recur::nn::detail
