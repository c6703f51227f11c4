#include "autograd/recorder.hpp"

#include "autograd/anomaly.hpp"
#include "autograd/no_grad.hpp"
#include "core/error.hpp"

namespace recur {

NodeRecorder::NodeRecorder(const char* op, std::initializer_list<Var> inputs) {
  start(op, std::span<const Var>(inputs.begin(), inputs.size()));
}

NodeRecorder::NodeRecorder(const char* op, std::span<const Var> inputs) { start(op, inputs); }

void NodeRecorder::start(const char* op, std::span<const Var> inputs) {
  if (inputs.empty()) throw ValueError(std::string(op) + ": needs at least one input");
  if (!inputs.front().defined())
    throw TapeError(std::string(op) + ": an input is empty (a default-constructed Var)");
  tape_ = &inputs.front().live_tape(op);  // throws, reading no freed memory, if the tape is gone
  for (const Var& input : inputs) tape_->check_var(input, op);
  const bool recording = grad_enabled();
  for (const Var& input : inputs) requires_grad_ = requires_grad_ || input.requires_grad();
  requires_grad_ = requires_grad_ && recording;
  index_ = tape_->push_node(op);
  Node& node = tape_->node(index_);
  node.requires_grad = requires_grad_;
  if (requires_grad_)
    for (const Var& input : inputs) node.inputs.push_back(input.index());
  if (anomaly_detection_enabled()) {
    node.scope = current_module_scope();
    for (const Var& input : inputs) input_shapes_.emplace_back(input.shape().begin(), input.shape().end());
  }
}

NodeRecorder::~NodeRecorder() {
  if (!finished_) tape_->pop_node();
}

void NodeRecorder::check_output() {
  const Node& node = tape_->node(index_);
  std::size_t position = 0;
  const char kind = detail::first_non_finite(node.value.data(), node.value.size(), position);
  if (kind == 0) return;
  std::string shapes;
  for (const Shape& shape : input_shapes_) shapes += (shapes.empty() ? "" : ", ") + shape_str(shape);
  throw AnomalyError(std::string("anomaly: '") + node.op + "' " +
                     (node.scope.empty() ? std::string("outside any module")
                                         : "in module '" + node.scope + "'") +
                     " produced " + (kind == 'N' ? "NaN" : "Inf") + " in its output " +
                     shape_str(node.value.shape()) + " (first at element " +
                     std::to_string(position) + ") from inputs of shapes " + shapes);
}

Var NodeRecorder::finish(BackwardRule rule) {
  // Anomaly mode: the op's output is complete now; a NaN or Inf in it is this op's doing when
  // its inputs were finite (every earlier op passed this check).
  if (!input_shapes_.empty()) check_output();  // throws; the destructor then drops the node
  finished_ = true;
  if (requires_grad_) node().rule = rule;
  return tape_->handle(index_);
}

}  // namespace recur
