// The sequence layers' shared body. A forward pass, for each layer and direction, is one
//   recurrence(cell, {X, W_ih, W_hh, biases, vectors, initial states, lengths, ...})
// node (autograd/ops/recurrence.hpp), or recurrence_reference() op by op inside a
// ReferencePathGuard; the layer's outputs [T, B, D*Hout] feed the next layer.
#include "layers/recurrent_layer.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <memory_resource>
#include <string>

#include "autograd/anomaly.hpp"
#include "autograd/ops/nn_ops.hpp"
#include "autograd/ops/recurrence.hpp"
#include "autograd/ops/shape_ops.hpp"
#include "autograd/tape.hpp"
#include "core/error.hpp"

namespace recur::nn {
namespace {

thread_local bool reference_path = false;

// Variational dropout mask for h (Gal and Ghahramani 2016): one [B, Hout] draw per sequence,
// kept for every step, scaled by 1/(1-p) like inverted dropout. Drawn into a constant node's
// buffer, which the tape keeps from step to step (a Tensor of its own would be allocated per
// forward).
Var recurrent_dropout_mask(Tape& tape, std::size_t batch, std::size_t features, float p) {
  const Var mask = tape.zeros({batch, features});
  const float keep_scale = 1.0f / (1.0f - p);
  Generator& generator = default_generator();
  for (float& value : tape.node(mask.index()).value)
    value = generator.next_float() >= p ? keep_scale : 0.0f;
  return mask;
}

void check_state(const std::string& name, const std::string& which, const Var& state,
                 const Shape& shape, const Var& input) {
  if (state.defined() &&
      !std::equal(state.shape().begin(), state.shape().end(), shape.begin(), shape.end()))
    throw ShapeError(name + ": expected " + which + " " + shape_str(shape) +
                     " ([layers * directions, B, features]) for input " +
                     shape_str(input.shape()) + " but got " + shape_str(state.shape()));
}

// The shape every parameter must keep through a cell's initialise hook.
void check_kept_shape(const char* name, const char* parameter, const Tensor* value,
                      const Shape& shape) {
  if (value && !std::equal(value->shape().begin(), value->shape().end(), shape.begin(),
                           shape.end()))
    throw ShapeError(std::string(name) + ": the cell's initialise() left " + parameter +
                     " with shape " + shape_str(value->shape()) + " but it must be " +
                     shape_str(shape));
}

}  // namespace

ReferencePathGuard::ReferencePathGuard() : previous_(reference_path) { reference_path = true; }
ReferencePathGuard::~ReferencePathGuard() { reference_path = previous_; }
bool ReferencePathGuard::active() { return reference_path; }

namespace detail {

bool use_reference_path() { return reference_path || anomaly_detection_enabled(); }

RecurrentLayer::RecurrentLayer(const char* name, const cell::CellSpec& cell,
                               const RecurrentOptions& options,
                               void (*initialise)(CellParameters&))
    : name_(name), cell_(cell), options_(options) {
  require_positive(name, "input_size", options.input_size);
  require_positive(name, "hidden_size", options.hidden_size);
  require_positive(name, "num_layers", options.num_layers);
  require_probability(name, "dropout", options.dropout);
  require_probability(name, "recurrent_dropout", options.recurrent_dropout);
  const bool has_product = cell.recurrence != cell::Recurrence::none;
  const std::size_t H = options.hidden_size, P = options.proj_size ? options.proj_size : H;
  if (options.proj_size != 0) {
    if (options.proj_size >= H)
      throw ValueError(std::string(name) + ": proj_size (" + std::to_string(options.proj_size) +
                       ") must be smaller than hidden_size (" + std::to_string(H) + ")");
    if (cell.step_reads_state[0] || cell.recurrent_states > 1 || !has_product)
      throw ValueError(std::string(name) + ": proj_size needs a cell that reads h only through "
                       "W_hh (as the LSTM); " + cell.name + " does not");
  }
  if (options.recurrent_dropout > 0.0f && !has_product)
    throw ValueError(std::string(name) + ": recurrent_dropout needs a cell with W_hh; " +
                     cell.name + " has none");
  const std::size_t directions = options.bidirectional ? 2 : 1;
  const std::size_t G = cell.gates * H, R = has_product ? cell.recurrent_states : 0;
  // torch.nn's order per layer and direction: weight_ih, weight_hh, bias_ih, bias_hh, then the
  // cell's vectors, then weight_hr.
  for (std::size_t layer = 0; layer < options.num_layers; ++layer) {
    const std::size_t in = layer == 0 ? options.input_size : directions * P;
    for (std::size_t direction = 0; direction < directions; ++direction) {
      const std::string suffix = "_l" + std::to_string(layer) + (direction ? "_reverse" : "");
      DirectionParameters p;
      p.weight_ih = &register_parameter("weight_ih" + suffix, recurrent_uniform({G, in}, H));
      if (has_product)
        p.weight_hh = &register_parameter("weight_hh" + suffix, recurrent_uniform({G, R * P}, H));
      if (options.bias) {
        p.bias_ih = &register_parameter("bias_ih" + suffix, recurrent_uniform({G}, H));
        if (has_product)
          p.bias_hh = &register_parameter("bias_hh" + suffix, recurrent_uniform({G}, H));
      }
      for (std::size_t k = 0; k < cell.vectors; ++k)
        p.vectors[k] =
            &register_parameter(cell.vector_names[k] + suffix, recurrent_uniform({H}, H));
      if (options.proj_size)
        p.weight_hr = &register_parameter("weight_hr" + suffix, recurrent_uniform({P, H}, H));
      if (initialise) {
        CellParameters view{in, H, &p.weight_ih->value,
                            p.weight_hh ? &p.weight_hh->value : nullptr,
                            p.bias_ih ? &p.bias_ih->value : nullptr,
                            p.bias_hh ? &p.bias_hh->value : nullptr, {}, &default_generator()};
        for (std::size_t k = 0; k < cell.vectors; ++k) view.vectors[k] = &p.vectors[k]->value;
        initialise(view);
        check_kept_shape(name, "weight_ih", view.weight_ih, {G, in});
        check_kept_shape(name, "weight_hh", view.weight_hh, {G, R * P});
        check_kept_shape(name, "bias_ih", view.bias_ih, {G});
        check_kept_shape(name, "bias_hh", view.bias_hh, {G});
        for (std::size_t k = 0; k < cell.vectors; ++k)
          check_kept_shape(name, cell.vector_names[k], view.vectors[k], {H});
      }
      parameters_.push_back(p);
    }
  }
}

Parameter* RecurrentLayer::parameter_of(const char* name, std::size_t layer,
                                        std::size_t direction) {
  const std::size_t directions = options_.bidirectional ? 2 : 1;
  if (layer >= options_.num_layers || direction >= directions) return nullptr;
  const DirectionParameters& p = parameters_[layer * directions + direction];
  const std::string which = name;
  if (which == "weight_ih") return p.weight_ih;
  if (which == "weight_hh" && p.weight_hh) return p.weight_hh;  // else a vector of that name
  if (which == "bias_ih") return p.bias_ih;
  if (which == "bias_hh") return p.bias_hh;
  if (which == "weight_hr") return p.weight_hr;
  for (std::size_t k = 0; k < cell_.vectors; ++k)
    if (which == cell_.vector_names[k]) return p.vectors[k];
  return nullptr;
}

RecurrentResult RecurrentLayer::run(const Var& input, const IndexTensor* lengths,
                                    const std::array<Var, cell::kMaxStates>& initial) {
  const std::string name = name_;
  if (!input.defined()) throw ShapeError(name + ": the input is an empty Var");
  for (std::size_t k = cell_.states; k < cell::kMaxStates; ++k)
    if (initial[k].defined())
      throw ValueError(name + ": the cell has " + std::to_string(cell_.states) +
                       " states, but an initial state " + std::to_string(k) + " was given");
  if (input.rank() == 2) return run_unbatched(input, lengths, initial);
  return run_batched(input, lengths, initial);
}

RecurrentLayer::DirectionRun RecurrentLayer::run_direction(
    const Var& x, const DirectionParameters& p, const std::array<Var, cell::kMaxStates>& initial,
    const Var& recurrent_mask, const IndexTensor* lengths, bool reverse) {
  Tape& tape = x.tape();
  const auto leaf = [&](Parameter* parameter) {
    return parameter ? tape.parameter(*parameter) : Var();
  };
  RecurrenceInputs in;
  in.input = x;
  in.weight_ih = leaf(p.weight_ih);
  in.bias_ih = leaf(p.bias_ih);
  in.weight_hh = leaf(p.weight_hh);
  in.bias_hh = leaf(p.bias_hh);
  in.weight_hr = leaf(p.weight_hr);
  in.recurrent_mask = recurrent_mask;
  in.initial = initial;
  for (std::size_t k = 0; k < cell_.vectors; ++k) in.vectors[k] = leaf(p.vectors[k]);
  in.lengths = lengths;
  in.reverse = reverse;
  const RecurrenceResult result = use_reference_path() ? recurrence_reference(cell_, in)
                                                       : recurrence(cell_, in);
  return {result.output, result.final};
}

RecurrentResult RecurrentLayer::run_batched(const Var& input, const IndexTensor* lengths,
                                            const std::array<Var, cell::kMaxStates>& initial) {
  const RecurrentOptions& o = options_;
  const std::string name = name_;
  const ModuleScope scope(this->name());  // anomaly errors name the layer's place in the model
  if (input.rank() != 3 || input.dim(2) != o.input_size || input.dim(0) == 0 || input.dim(1) == 0)
    throw ShapeError(name + ": expected input " + (o.batch_first ? "[B, T, " : "[T, B, ") +
                     std::to_string(o.input_size) + "] (T, B > 0) but got " +
                     shape_str(input.shape()));
  const std::size_t batch = input.dim(o.batch_first ? 0 : 1);
  const std::size_t directions = o.bidirectional ? 2 : 1, H = o.hidden_size;
  const std::size_t P = o.proj_size ? o.proj_size : H;
  const std::size_t count = o.num_layers * directions;
  for (std::size_t k = 0; k < cell_.states; ++k)
    check_state(name, std::string(cell_.state_names[k]) + "0", initial[k],
                {count, batch, k == 0 ? P : H}, input);
  const bool drop_recurrent = is_training() && o.recurrent_dropout > 0.0f;
  Tape& tape = input.tape();

  // [T, B, F], time-major, for every layer.
  Var x = o.batch_first ? transpose(input, 0, 1) : input;
  // The per-forward lists live in a stack buffer, so a steady step allocates nothing here.
  std::array<std::byte, 2048> list_buffer;
  std::pmr::monotonic_buffer_resource lists(list_buffer.data(), list_buffer.size());
  std::pmr::vector<std::array<Var, cell::kMaxStates>> finals(count, &lists);
  for (std::size_t layer = 0; layer < o.num_layers; ++layer) {
    std::array<Var, 2> outputs;
    for (std::size_t direction = 0; direction < directions; ++direction) {
      const std::size_t k = layer * directions + direction;
      std::array<Var, cell::kMaxStates> start;
      for (std::size_t s = 0; s < cell_.states; ++s)
        if (initial[s].defined()) start[s] = select(initial[s], 0, k);
      const Var mask =
          drop_recurrent ? recurrent_dropout_mask(tape, batch, P, o.recurrent_dropout) : Var();
      const DirectionRun run =
          run_direction(x, parameters_[k], start, mask, lengths, direction == 1);
      outputs[direction] = run.output;
      finals[k] = run.final;
    }
    x = directions == 2 ? concat({outputs[0], outputs[1]}, 2) : outputs[0];
    if (layer + 1 < o.num_layers && o.dropout > 0.0f && is_training())
      x = dropout(x, o.dropout, true);
  }
  RecurrentResult result;
  result.output = o.batch_first ? transpose(x, 0, 1) : x;
  std::pmr::vector<Var> per_direction(count, &lists);
  for (std::size_t s = 0; s < cell_.states; ++s) {
    for (std::size_t k = 0; k < count; ++k) per_direction[k] = finals[k][s];
    result.states[s] = stack(per_direction, 0);
  }
  return result;
}

// [T, I] -> [T, 1, I] (or [1, T, I]), states [L*D, F] -> [L*D, 1, F], and the results back.
RecurrentResult RecurrentLayer::run_unbatched(const Var& input, const IndexTensor* lengths,
                                              const std::array<Var, cell::kMaxStates>& initial) {
  const RecurrentOptions& o = options_;
  const std::string name = name_;
  const std::size_t seq_len = input.dim(0);
  if (input.dim(1) != o.input_size || seq_len == 0)
    throw ShapeError(name + ": expected an unbatched input [T, " + std::to_string(o.input_size) +
                     "] (T > 0) but got " + shape_str(input.shape()));
  std::array<Var, cell::kMaxStates> batched_initial;
  for (std::size_t k = 0; k < cell_.states; ++k) {
    const Var& state = initial[k];
    if (!state.defined()) continue;
    if (state.rank() != 2)
      throw ShapeError(name + ": an unbatched input " + shape_str(input.shape()) +
                       " needs a 2-D initial " + cell_.state_names[k] +
                       " [layers * directions, features], got " + shape_str(state.shape()));
    batched_initial[k] = reshape(state, {state.dim(0), 1, state.dim(1)});
  }
  const Shape batched = o.batch_first ? Shape{1, seq_len, o.input_size}
                                      : Shape{seq_len, 1, o.input_size};
  RecurrentResult result = run_batched(reshape(input, batched), lengths, batched_initial);
  const auto drop_batch = [](const Var& v) {
    return v.defined() ? reshape(v, {v.dim(0) * v.dim(1), v.dim(2)}) : v;
  };
  result.output = drop_batch(result.output);
  for (Var& state : result.states) state = drop_batch(state);
  return result;
}

Tensor recurrent_uniform(const Shape& shape, std::size_t hidden_size) {
  const float bound = 1.0f / std::sqrt(static_cast<float>(hidden_size));
  return default_generator().uniform(shape, -bound, bound);
}

void add_forget_bias(Parameter& bias_ih, std::size_t hidden_size, float forget_bias) {
  float* forget = bias_ih.value.data() + hidden_size;
  for (std::size_t j = 0; j < hidden_size; ++j) forget[j] += forget_bias;
  bias_ih.bump_version();
}

void chrono_bias(Parameter& bias_ih, Parameter* bias_hh, std::size_t hidden_size,
                 std::size_t keep_block, int input_block, float t_max) {
  float* keep = bias_ih.value.data() + keep_block * hidden_size;
  Generator& generator = default_generator();
  for (std::size_t j = 0; j < hidden_size; ++j) {
    keep[j] = std::log(generator.uniform(1.0f, t_max - 1.0f));  // b_f ~ log U(1, T_max - 1)
    if (input_block >= 0)
      bias_ih.value.data()[static_cast<std::size_t>(input_block) * hidden_size + j] = -keep[j];
  }
  bias_ih.bump_version();
  if (!bias_hh) return;
  for (std::size_t j = 0; j < hidden_size; ++j) {
    bias_hh->value.data()[keep_block * hidden_size + j] = 0.0f;
    if (input_block >= 0)
      bias_hh->value.data()[static_cast<std::size_t>(input_block) * hidden_size + j] = 0.0f;
  }
  bias_hh->bump_version();
}

void require_chrono(const char* layer, float chrono_init, bool bias) {
  if (chrono_init == 0.0f) return;
  if (!(chrono_init >= 2.0f) || !std::isfinite(chrono_init))
    throw ValueError(std::string(layer) + ": chrono_init is the longest dependency T_max, in "
                     "steps: 0 (off) or at least 2, got " + std::to_string(chrono_init));
  if (!bias)
    throw ValueError(std::string(layer) + ": chrono_init " + std::to_string(chrono_init) +
                     " sets the gate biases and needs bias = true");
}

void require_positive(const char* layer, const char* option, std::size_t value) {
  if (value == 0)
    throw ValueError(std::string(layer) + ": " + option + " must be positive, got 0");
}

void require_probability(const char* layer, const char* option, float p) {
  if (!(p >= 0.0f && p < 1.0f))
    throw ValueError(std::string(layer) + ": " + option + " must be in [0, 1), got " +
                     std::to_string(p));
}

void require_sequence_input(const char* layer, const Var& input, std::size_t input_size,
                            bool batch_first) {
  if (input.defined() && input.rank() == 3 && input.dim(2) == input_size && input.dim(0) > 0 &&
      input.dim(1) > 0)
    return;
  throw ShapeError(std::string(layer) + ": expected input " +
                   (batch_first ? "[B, T, " : "[T, B, ") + std::to_string(input_size) +
                   "] (T, B > 0) but got " +
                   (input.defined() ? shape_str(input.shape()) : std::string("an empty Var")));
}

}  // namespace detail
}  // namespace recur::nn
