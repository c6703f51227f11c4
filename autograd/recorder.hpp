/// @file
/// NodeRecorder and BackwardContext: the two classes an op is written with.
#pragma once

#include <initializer_list>
#include <span>
#include <vector>

#include "autograd/tape.hpp"

namespace recur {

/// What a backward rule sees: the incoming gradient, the values it may need, and its inputs'
/// gradient buffers to add into.
///
/// Rules only ever add (`+=`) into grad_input(), so an input used twice simply receives two
/// contributions, and skip inputs for which needs_grad() is false.
class BackwardContext {
 public:
  /// The context of node `index` of `tape` (made by the tape's backward walk).
  BackwardContext(Tape& tape, std::uint32_t index)
      : tape_(tape), node_(tape.node(index)), index_(index) {}

  /// dL/dy, the gradient arriving at this op's output.
  const Tensor& grad_output() const { return node_.grad; }
  /// The op's output y.
  const Tensor& output() const { return node_.value; }
  /// The op's saved tensor (NodeRecorder::saved).
  const Tensor& saved() const { return node_.saved; }
  /// The value of input `i`.
  const Tensor& input(std::size_t i) const { return tape_.node(node_.inputs[i]).data(); }
  /// Number of inputs.
  std::size_t num_inputs() const { return node_.inputs.size(); }
  /// True when input `i` wants a gradient.
  bool needs_grad(std::size_t i) const { return tape_.node(node_.inputs[i]).requires_grad; }
  /// dL/dx_i, zero-initialised on first use; add into it.
  Tensor& grad_input(std::size_t i) { return tape_.grad_buffer(node_.inputs[i]); }
  /// dL/dx_i for a rule that writes every element of it: when input `i` has received nothing
  /// yet in this backward, its buffer uninitialised (spares a zero-fill and an addition pass
  /// over a large gradient); nullptr when it already holds a contribution (use grad_input()).
  Tensor* grad_input_to_overwrite(std::size_t i) { return tape_.fresh_grad_buffer(node_.inputs[i]); }
  /// The gradient of the node recorded `offset` nodes after this one, or nullptr when no
  /// gradient reached it. An op with several results records the extra ones as nodes right
  /// after its own (each taking this op's output as input, so this rule still runs when only
  /// they are used) and reads their gradients here (recur::recurrence's final states).
  const Tensor* grad_of_later_node(std::size_t offset) const {
    const Node& later = tape_.node(static_cast<std::uint32_t>(index_ + offset));
    return later.grad_ready ? &later.grad : nullptr;
  }

 private:
  Tape& tape_;
  Node& node_;
  std::uint32_t index_;
};

/// Records one op on the tape. An op is written as:
/// @code
/// Var my_square(const Var& x) {
///   NodeRecorder rec("my_square", {x});       // checks x is live, reserves the node
///   Tensor& y = rec.output(x.shape());         // pooled output buffer of the right shape
///   xt::noalias(y) = x.value() * x.value();
///   return rec.finish([](BackwardContext& ctx) {  // dy/dx = 2x
///     if (ctx.needs_grad(0))
///       xt::noalias(ctx.grad_input(0)) += 2.0f * ctx.input(0) * ctx.grad_output();
///   });
/// }
/// @endcode
/// Check the inputs' shapes (and throw) before constructing the recorder. If the op throws after
/// that, the recorder removes its half-made node.
class NodeRecorder {
 public:
  /// Starts recording op `op` with these inputs, all of which must be live Vars of one tape.
  NodeRecorder(const char* op, std::initializer_list<Var> inputs);
  /// The same, for a run-time list of inputs (concat, stack).
  NodeRecorder(const char* op, std::span<const Var> inputs);
  NodeRecorder(const NodeRecorder&) = delete;
  NodeRecorder& operator=(const NodeRecorder&) = delete;
  ~NodeRecorder();

  /// The output buffer, resized to `shape` (its memory is reused from the previous step).
  template <class S>
  Tensor& output(const S& shape) {
    node().value.resize(shape);
    return node().value;
  }
  /// output() for a braced shape: `rec.output(Shape{batch, hidden})`.
  Tensor& output(const Shape& shape) { return output<Shape>(shape); }
  /// An extra buffer kept for the backward rule, resized to `shape`.
  template <class S>
  Tensor& saved(const S& shape) {
    node().saved.resize(shape);
    return node().saved;
  }
  /// saved() for a braced shape.
  Tensor& saved(const Shape& shape) { return saved<Shape>(shape); }
  /// True when the output needs a gradient; when false, finish() drops the rule, and the op may
  /// skip preparing what only backward needs.
  bool requires_grad() const { return requires_grad_; }
  /// The tape being recorded on.
  Tape& tape() { return *tape_; }
  /// Ends the recording with the op's backward rule and returns the output.
  Var finish(BackwardRule rule);

 private:
  void start(const char* op, std::span<const Var> inputs);
  Node& node() { return tape_->node(index_); }

  void check_output();

  Tape* tape_ = nullptr;
  std::vector<Shape> input_shapes_;  // anomaly mode only: named when the output is not finite
  std::uint32_t index_ = 0;
  bool requires_grad_ = false;
  bool finished_ = false;
};

}  // namespace recur
