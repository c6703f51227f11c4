/// @file
/// RMSprop, with momentum and the centered variant.
#pragma once

#include "optim/optimizer.hpp"

namespace recur::optim {

/// Options of RMSprop, with torch.optim.RMSprop's defaults.
struct RMSpropOptions {
  double lr = 1e-2;           ///< Learning rate.
  double alpha = 0.99;        ///< Smoothing constant of the squared-gradient average.
  double eps = 1e-8;          ///< Added to the denominator.
  double weight_decay = 0.0;  ///< L2 penalty added to the gradient: g += weight_decay * p.
  double momentum = 0.0;      ///< Momentum factor; 0 turns momentum off.
  bool centered = false;      ///< Normalise by the estimated variance instead of the raw second moment.
};

/// torch.optim.RMSprop: s = alpha*s + (1-alpha)*g^2; avg = sqrt(s) + eps, or with `centered`
/// a = alpha*a + (1-alpha)*g and avg = sqrt(s - a^2) + eps; then with momentum
/// buf = momentum*buf + g/avg, p -= lr*buf, else p -= lr * g/avg.
///
/// @code
/// recur::optim::RMSprop opt(model.parameters(), {.lr = 1e-3, .momentum = 0.9});
/// @endcode
class RMSprop : public OptimizerWithOptions<RMSpropOptions> {
 public:
  /// RMSprop over one group of parameters.
  /// @throws recur::ValueError for invalid options.
  RMSprop(const std::vector<Parameter*>& params, const RMSpropOptions& options = {});
  /// RMSprop over several groups, `options` being the defaults each group may override.
  RMSprop(std::span<const ParamGroup> groups, const RMSpropOptions& options = {});
  /// @copydoc RMSprop(std::span<const ParamGroup>, const RMSpropOptions&)
  RMSprop(std::initializer_list<ParamGroup> groups, const RMSpropOptions& options = {})
      : RMSprop(std::span<const ParamGroup>(groups.begin(), groups.size()), options) {}

  std::array<const char*, 3> buffer_names() const override {
    return {"square_avg", "momentum_buffer", "grad_avg"};
  }
  std::array<bool, 3> buffers_used(std::size_t group) const override;

 protected:
  void update(std::size_t index, Parameter& parameter, ParameterState& state,
              const RMSpropOptions& options) override;
};

}  // namespace recur::optim
