#include "autograd/tape.hpp"

#include <string>

#include "autograd/anomaly.hpp"
#include "autograd/no_grad.hpp"
#include "autograd/recorder.hpp"
#include "core/error.hpp"
#include "core/kernels/team.hpp"

namespace recur {
namespace {

// On the team, as a parameter's zero_grad(): a gradient buffer that is not written whole
// (dL/dh of a layer, 4 MiB at B 32, T 64, H 512) is zeroed before the first addition.
void fill_zero(Tensor& tensor) { kernels::fill_on_team(tensor.data(), tensor.size(), 0.0f); }

// target += addend, same shapes, split over the team (elementwise: any split gives the same
// sums). A parameter's gradient is added in once per backward: for the W_hh of an LSTM at H 512
// (4 MiB), a serial pass took 1.7 ms of a two-thread training step while the other member
// waited.
void add_into(Tensor& target, const Tensor& addend) {
  float* sum = target.data();
  const float* part = addend.data();
  const auto add = [&](std::size_t i0, std::size_t i1) {
    for (std::size_t i = i0; i < i1; ++i) sum[i] += part[i];
  };
  kernels::parallel_for(target.size(), 16, std::size_t{1} << 16, add);
}

std::string where(const Node& node) {
  return node.scope.empty() ? std::string("outside any module") : "in module '" + node.scope + "'";
}

// Anomaly mode, backward: the rule of node `index` just ran; if a gradient it added to is no
// longer finite, this op made it so (every earlier check passed).
void check_gradients(const Tape& tape, std::uint32_t index) {
  const Node& node = tape.node(index);
  for (std::size_t i = 0; i < node.inputs.size(); ++i) {
    const Node& input = tape.node(node.inputs[i]);
    if (!input.grad_ready) continue;
    std::size_t position = 0;
    const char kind = detail::first_non_finite(input.grad.data(), input.grad.size(), position);
    if (kind == 0) continue;
    std::string shapes;
    for (std::uint32_t j : node.inputs) shapes += (shapes.empty() ? "" : ", ") + shape_str(tape.node(j).data().shape());
    throw AnomalyError(std::string("anomaly: the backward of '") + node.op + "' " + where(node) +
                       " produced " + (kind == 'N' ? "NaN" : "Inf") + " in the gradient of its input " +
                       std::to_string(i) + " " + shape_str(input.grad.shape()) + " (first at element " +
                       std::to_string(position) + "); its inputs have shapes " + shapes);
  }
}

}  // namespace

// Generations are unique across all tapes (detail::next_tape_generation), so a Var can never be
// mistaken for a live value of another tape, or of this tape after a clear.
Tape::Tape()
    : generation_(detail::next_tape_generation()),
      slot_(detail::acquire_tape_slot(this, generation_)) {}

Tape::~Tape() { detail::release_tape_slot(slot_); }

std::uint32_t Tape::push_node(const char* op) {
  if (size_ == nodes_.size()) nodes_.emplace_back();
  Node& node = nodes_[size_];
  node.op = op;
  node.external = nullptr;
  node.inputs.clear();
  node.rule = BackwardRule();
  node.parameter = nullptr;
  node.requires_grad = false;
  node.grad_ready = false;
  node.scope.clear();
  return static_cast<std::uint32_t>(size_++);
}

void Tape::pop_node() {
  if (size_ > 0) --size_;
}

Var Tape::input(const Tensor& value, bool requires_grad) {
  const std::uint32_t index = push_node("input");
  Node& node = nodes_[index];
  node.value.resize(value.shape());
  std::copy(value.begin(), value.end(), node.value.begin());
  node.requires_grad = requires_grad;
  if (anomaly_detection_enabled()) {
    node.scope = current_module_scope();
    std::size_t position = 0;
    if (const char kind = detail::first_non_finite(node.value.data(), node.value.size(), position)) {
      pop_node();
      throw AnomalyError(std::string("anomaly: the input data ") + shape_str(value.shape()) +
                         " holds " + (kind == 'N' ? "NaN" : "Inf") + " at element " +
                         std::to_string(position) + " " + where(node));
    }
  }
  return handle(index);
}

Var Tape::zeros(const Shape& shape) {
  const std::uint32_t index = push_node("zeros");
  Node& node = nodes_[index];
  node.value.resize(shape);
  fill_zero(node.value);
  if (anomaly_detection_enabled()) node.scope = current_module_scope();
  return handle(index);
}

Var Tape::parameter(Parameter& parameter) {
  if (parameter.bound_tape == this && parameter.bound_generation == generation_) {
    // A leaf first made under no_grad (an evaluation earlier in the step) must still carry a
    // gradient once grad mode is back; ops recorded under no_grad kept no inputs, so turning
    // the leaf on now cannot send gradient through them.
    Node& leaf = nodes_[parameter.bound_index];
    if (!leaf.requires_grad && parameter.requires_grad && grad_enabled()) {
      leaf.requires_grad = true;
      parameter_leaves_.push_back(parameter.bound_index);
    }
    return handle(parameter.bound_index);
  }
  const std::uint32_t index = push_node("parameter");
  Node& node = nodes_[index];
  node.external = &parameter.value;
  node.parameter = &parameter;
  node.parameter_version = parameter.version;
  node.requires_grad = parameter.requires_grad && grad_enabled();
  if (anomaly_detection_enabled()) {
    node.scope = current_module_scope();
    std::size_t position = 0;
    const Tensor& value = parameter.value;
    if (const char kind = detail::first_non_finite(value.data(), value.size(), position)) {
      pop_node();
      throw AnomalyError(std::string("anomaly: a parameter ") + shape_str(value.shape()) +
                         " holds " + (kind == 'N' ? "NaN" : "Inf") + " at element " +
                         std::to_string(position) + " " + where(node) +
                         " (an earlier optimizer step diverged?)");
    }
  }
  if (node.requires_grad) parameter_leaves_.push_back(index);
  parameter.bound_tape = this;
  parameter.bound_generation = generation_;
  parameter.bound_index = index;
  return handle(index);
}

void Tape::throw_bad_var(const Var& var, const char* op) const {
  if (var.slot_ == nullptr)
    throw TapeError(std::string(op) + ": the Var is empty (default-constructed); pass a value "
                    "made by an op or by Tape::input");
  // Whether its own tape still holds it comes first: a Var of a destroyed tape whose slot now
  // serves this tape must read as destroyed, not as this tape's.
  if (var.slot_->generation.load(std::memory_order_acquire) != var.generation_)
    throw TapeError(detail::dead_var_message(*var.slot_, var.generation_, op));
  if (var.slot_ != slot_)
    throw TapeError(std::string(op) + ": the inputs come from different tapes; record a step's "
                    "values on one tape");
  throw TapeError(std::string(op) + ": this Var's tape was cleared after it was computed; run "
                  "the forward pass again");
}

Tensor& Tape::grad_buffer(std::uint32_t index) {
  Node& node = nodes_[index];
  if (!node.grad_ready) {
    node.grad.resize(node.data().shape());
    fill_zero(node.grad);
    node.grad_ready = true;
  }
  return node.grad;
}

Tensor* Tape::fresh_grad_buffer(std::uint32_t index) {
  Node& node = nodes_[index];
  if (node.grad_ready) return nullptr;
  node.grad.resize(node.data().shape());
  node.grad_ready = true;
  return &node.grad;
}

void Tape::backward(const Var& root) {
  check_var(root, "backward");
  const Node& node = nodes_[root.index_];
  if (node.data().size() != 1)
    throw TapeError("backward: the root has shape " + shape_str(node.data().shape()) +
                    " but must be a single value; reduce it (sum, mean) or pass its gradient");
  run_backward(root, nullptr);
}

void Tape::backward(const Var& root, const Tensor& grad_root) {
  check_var(root, "backward");
  const Node& node = nodes_[root.index_];
  if (grad_root.shape() != node.data().shape())
    throw ShapeError("backward: the root has shape " + shape_str(node.data().shape()) +
                     " but its gradient has shape " + shape_str(grad_root.shape()));
  run_backward(root, &grad_root);
}

void Tape::run_backward(const Var& root, const Tensor* grad_root) {
  const std::uint32_t root_index = root.index_;
  if (!nodes_[root_index].requires_grad)
    throw TapeError(std::string("backward: the root (made by '") + nodes_[root_index].op +
                    "') does not require a gradient: it depends on no parameter or input with "
                    "requires_grad, or was computed under no_grad or through detach");
  // Fail before touching any gradient if a parameter changed since the forward pass: backward
  // would otherwise combine old activations with new weights (PyTorch's version counter check).
  for (std::uint32_t leaf : parameter_leaves_) {
    const Node& node = nodes_[leaf];
    if (leaf <= root_index && node.parameter->version != node.parameter_version)
      throw TapeError("backward: a parameter of shape " + shape_str(node.data().shape()) +
                      " was modified after the forward pass (an optimizer step before backward?); "
                      "run the forward pass again");
  }
  // Forget every gradient of the previous backward, including those of nodes newer than this
  // root: their grad() must read zero now, not a stale value.
  for (std::size_t i = 0; i < size_; ++i) nodes_[i].grad_ready = false;
  Tensor& seed = grad_buffer(root_index);
  if (grad_root != nullptr)
    std::copy(grad_root->begin(), grad_root->end(), seed.begin());
  else
    std::fill(seed.begin(), seed.end(), 1.0f);
  const bool check = anomaly_detection_enabled();
  // The walk is in recording order reversed: every node's consumers come after it, so by the
  // time we reach a node its gradient is complete.
  for (std::int64_t i = root_index; i >= 0; --i) {
    Node& node = nodes_[static_cast<std::uint32_t>(i)];
    if (!node.grad_ready || !node.requires_grad) continue;
    if (node.parameter != nullptr) {
      Parameter& parameter = *node.parameter;
      if (parameter.grad.shape() != parameter.value.shape()) {
        parameter.grad.resize(parameter.value.shape());
        fill_zero(parameter.grad);
      }
      add_into(parameter.grad, node.grad);
    } else if (node.rule) {
      BackwardContext context(*this, static_cast<std::uint32_t>(i));
      node.rule(context);
      if (check) check_gradients(*this, static_cast<std::uint32_t>(i));
    }
  }
}

void Tape::clear() {
  size_ = 0;
  parameter_leaves_.clear();
  generation_ = detail::next_tape_generation();
  slot_->generation.store(generation_, std::memory_order_release);
}

void Tape::release_memory() {
  clear();
  nodes_.clear();
  nodes_.shrink_to_fit();
  parameter_leaves_.shrink_to_fit();
}

std::size_t Tape::memory_bytes() const {
  std::size_t bytes = 0;
  for (const Node& node : nodes_)
    bytes += (node.value.size() + node.grad.size() + node.saved.size()) * sizeof(float);
  return bytes;
}

}  // namespace recur
