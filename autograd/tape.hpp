/// @file
/// Tape: records every op of a forward pass and walks them backwards to compute gradients.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "autograd/backward_rule.hpp"
#include "autograd/parameter.hpp"
#include "autograd/tape_registry.hpp"
#include "autograd/var.hpp"
#include "core/tensor.hpp"

namespace recur {

/// One recorded value: what computed it, from what, and how to send its gradient back.
/// Nodes are reused in place from one step to the next (see Tape::clear), so their tensors keep
/// their memory and a steady training loop allocates almost nothing.
struct Node {
  const char* op = "";                 ///< The op's name, for error messages.
  Tensor value;                        ///< The forward value (unused when `external` is set).
  Tensor grad;                         ///< d(root)/d(value), valid when `grad_ready`.
  Tensor saved;                        ///< Anything else the backward rule needs (a mask, indices).
  const Tensor* external = nullptr;    ///< A parameter's value, referred to instead of copied.
  std::vector<std::uint32_t> inputs;   ///< Indices of the input nodes.
  BackwardRule rule;                   ///< Empty for leaves and constants.
  Parameter* parameter = nullptr;      ///< Set on a parameter's leaf.
  std::uint64_t parameter_version = 0; ///< The parameter's version when the leaf was made.
  bool requires_grad = false;          ///< A gradient flows back through this node.
  bool grad_ready = false;             ///< `grad` holds this backward's contributions.
  std::string scope;                   ///< Dotted module path, recorded in anomaly mode only.

  /// The forward value, wherever it is stored.
  const Tensor& data() const { return external ? *external : value; }
};

/// A list of recorded ops, in call order (DyNet's computation graph, PyTorch's autograd graph).
///
/// Every op appends one node holding its value, its inputs and its backward rule. backward()
/// seeds d(root)/d(root) = 1 and walks the nodes from the newest to the oldest in a plain loop (no
/// recursion, so a 200,000-step chain is fine); each rule adds into its inputs' gradients.
/// Parameters' gradients land in Parameter::grad, which outlives the tape.
///
/// @code
/// recur::Tape tape;
/// for (int step = 0; step < steps; ++step) {
///   tape.clear();                                   // keeps the buffers for this step
///   recur::Var loss = model_loss(tape.input(x));
///   tape.backward(loss);
///   optimizer.step();
/// }
/// @endcode
/// A tape belongs to one thread at a time; use one tape per thread.
/// @see @ref tape "How the tape works", and @ref threads "Threads".
class Tape {
 public:
  Tape();
  /// Every Var of this tape becomes invalid: using one throws recur::TapeError.
  ~Tape();
  Tape(const Tape&) = delete;
  Tape& operator=(const Tape&) = delete;

  /// Records a data value (a copy of `value`). With `requires_grad`, backward computes its
  /// gradient too, which grad() then returns.
  /// @param value The data, any shape. @param requires_grad Compute d(root)/d(value) as well.
  /// @throws recur::AnomalyError in anomaly mode when the value is not finite.
  Var input(const Tensor& value, bool requires_grad = false);

  /// Records a constant of zeros (an initial state), written straight into the node's kept
  /// buffer: the same value as `input(recur::zeros(shape))` without the temporary tensor, so a
  /// steady training loop that starts every sequence from zeros allocates nothing for it.
  /// @param shape The extents.
  Var zeros(const Shape& shape);

  /// The leaf for `parameter` on this tape: added the first time a step uses it, then reused.
  /// The leaf refers to the parameter's value without copying it.
  /// @param parameter A parameter that outlives this step (a module's); its gradient goes to
  ///        Parameter::grad.
  /// @throws recur::AnomalyError in anomaly mode when the value is not finite.
  Var parameter(Parameter& parameter);

  /// Computes gradients of the scalar `root` with respect to everything it depends on.
  /// Gradients add into Parameter::grad (zero them between steps); those of inputs and
  /// intermediate values are what Var::grad() returns.
  /// @param root A single value (a loss) recorded on this tape.
  /// @throws recur::TapeError if `root` is not a single value, is from another or a cleared tape,
  ///         or depends on nothing that requires a gradient, or if a parameter changed after the
  ///         forward pass (an optimiser step between forward and backward).
  /// @throws recur::AnomalyError in anomaly mode, naming the first op whose gradient is not
  ///         finite.
  void backward(const Var& root);

  /// Backward from a non-scalar `root`, seeded with `grad_root` (same shape as root).
  /// @param root Any value of this tape. @param grad_root d(loss)/d(root), root's shape.
  /// @throws recur::ShapeError if grad_root's shape differs from root's; otherwise as
  ///         backward(const Var&).
  void backward(const Var& root, const Tensor& grad_root);

  /// Forgets every recorded node but keeps their memory for the next step. Every Var recorded
  /// so far becomes invalid: using one throws recur::TapeError.
  void clear();

  /// clear(), and also gives the nodes' memory back.
  void release_memory();

  /// Number of nodes recorded since the last clear.
  std::size_t size() const { return size_; }

  /// Bytes held by the tape's node buffers (recorded and kept for reuse).
  std::size_t memory_bytes() const;

  /// @name For op implementations (see NodeRecorder)
  /// @{

  /// Node `index` (no check; op code has validated its Vars).
  Node& node(std::uint32_t index) { return nodes_[index]; }
  /// Node `index`, read-only.
  const Node& node(std::uint32_t index) const { return nodes_[index]; }
  /// Appends a node slot (reusing a kept one) and returns its index.
  std::uint32_t push_node(const char* op);
  /// Removes the newest node (an op that failed after push_node).
  void pop_node();
  /// A handle to node `index`.
  Var handle(std::uint32_t index) { return Var(slot_, index, generation_); }
  /// Checks that `var` is a live value of this tape.
  /// @throws recur::TapeError naming `op`: the Var is empty, from another tape, or from a tape
  ///         destroyed or cleared since it was computed.
  void check_var(const Var& var, const char* op) const {
    if (var.slot_ == slot_ && var.generation_ == generation_ && var.index_ < size_) return;
    throw_bad_var(var, op);
  }
  /// The gradient buffer of node `index`, zero-filled on first use in this backward.
  Tensor& grad_buffer(std::uint32_t index);
  /// The gradient buffer of node `index`, sized but not zero-filled, when nothing has been added
  /// to it yet in this backward (the caller must then write every element); nullptr otherwise.
  Tensor* fresh_grad_buffer(std::uint32_t index);
  /// @}

 private:
  friend class Var;
  void run_backward(const Var& root, const Tensor* grad_root);
  [[noreturn]] void throw_bad_var(const Var& var, const char* op) const;

  std::deque<Node> nodes_;   // a deque: appending never moves the nodes ops hold references to
  std::size_t size_ = 0;
  std::uint64_t generation_;      // this tape's live generation, mirrored in its slot
  detail::TapeSlot* slot_;        // where Vars look up whether this tape is alive (never freed)
  std::vector<std::uint32_t> parameter_leaves_;
};

}  // namespace recur
