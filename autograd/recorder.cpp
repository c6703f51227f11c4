#include "autograd/recorder.hpp"

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
  tape_ = inputs.front().tape_;
  for (const Var& input : inputs) tape_->check_var(input, op);
  const bool recording = grad_enabled();
  for (const Var& input : inputs) requires_grad_ = requires_grad_ || input.requires_grad();
  requires_grad_ = requires_grad_ && recording;
  index_ = tape_->push_node(op);
  Node& node = tape_->node(index_);
  node.requires_grad = requires_grad_;
  if (requires_grad_)
    for (const Var& input : inputs) node.inputs.push_back(input.index());
}

NodeRecorder::~NodeRecorder() {
  if (!finished_) tape_->pop_node();
}

Var NodeRecorder::finish(BackwardRule rule) {
  finished_ = true;
  if (requires_grad_) node().rule = rule;
  return tape_->handle(index_);
}

}  // namespace recur
