/// @file
/// Stochastic gradient descent with momentum, dampening, Nesterov momentum and weight decay.
#pragma once

#include <limits>

#include "optim/optimizer.hpp"

namespace recur::optim {

/// Options of SGD, with torch.optim.SGD's defaults. Like PyTorch, SGD has no default learning
/// rate: leaving `lr` unset throws.
struct SGDOptions {
  double lr = std::numeric_limits<double>::quiet_NaN();  ///< Learning rate (required).
  double momentum = 0.0;      ///< Momentum factor; 0 turns momentum off.
  double dampening = 0.0;     ///< Dampening of the momentum: buf = momentum*buf + (1-dampening)*g.
  double weight_decay = 0.0;  ///< L2 penalty added to the gradient: g += weight_decay * p.
  bool nesterov = false;      ///< Nesterov momentum (needs momentum > 0 and dampening 0).
};

/// torch.optim.SGD: with g = grad + weight_decay*p, and momentum,
/// buf = g on the first step, then buf = momentum*buf + (1-dampening)*g;
/// the update is g + momentum*buf (Nesterov) or buf; p -= lr * update.
///
/// @code
/// recur::optim::SGD opt(model.parameters(), {.lr = 0.1, .momentum = 0.9, .nesterov = true});
/// @endcode
class SGD : public OptimizerWithOptions<SGDOptions> {
 public:
  /// SGD over one group of parameters.
  /// @throws recur::ValueError for invalid options.
  SGD(const std::vector<Parameter*>& params, const SGDOptions& options = {});
  /// SGD over several groups, `options` being the defaults each group may override.
  SGD(std::span<const ParamGroup> groups, const SGDOptions& options = {});
  /// @copydoc SGD(std::span<const ParamGroup>, const SGDOptions&)
  SGD(std::initializer_list<ParamGroup> groups, const SGDOptions& options = {})
      : SGD(std::span<const ParamGroup>(groups.begin(), groups.size()), options) {}

  std::array<const char*, 3> buffer_names() const override { return {"momentum_buffer", "", ""}; }
  std::array<bool, 3> buffers_used(std::size_t group) const override;

 protected:
  void update(std::size_t index, Parameter& parameter, ParameterState& state,
              const SGDOptions& options) override;
};

}  // namespace recur::optim
