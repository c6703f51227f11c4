/// @file
/// Adagrad: per-element learning rates from the sum of squared gradients.
#pragma once

#include "optim/optimizer.hpp"

namespace recur::optim {

/// Options of Adagrad, with torch.optim.Adagrad's defaults.
struct AdagradOptions {
  double lr = 1e-2;                       ///< Learning rate.
  double lr_decay = 0.0;                  ///< Step t uses lr / (1 + (t-1)*lr_decay).
  double weight_decay = 0.0;              ///< L2 penalty added to the gradient: g += weight_decay * p.
  double initial_accumulator_value = 0.0; ///< Starting value of the sum of squares.
  double eps = 1e-10;                     ///< Added to the denominator.
};

/// torch.optim.Adagrad: sum += g^2, p -= lr/(1 + (t-1)*lr_decay) * g / (sqrt(sum) + eps),
/// with g = grad + weight_decay*p.
///
/// @code
/// recur::optim::Adagrad opt(model.parameters(), {.lr = 0.05});
/// @endcode
class Adagrad : public OptimizerWithOptions<AdagradOptions> {
 public:
  /// Adagrad over one group of parameters.
  /// @throws recur::ValueError for invalid options.
  Adagrad(const std::vector<Parameter*>& params, const AdagradOptions& options = {});
  /// Adagrad over several groups, `options` being the defaults each group may override.
  Adagrad(std::span<const ParamGroup> groups, const AdagradOptions& options = {});
  /// @copydoc Adagrad(std::span<const ParamGroup>, const AdagradOptions&)
  Adagrad(std::initializer_list<ParamGroup> groups, const AdagradOptions& options = {})
      : Adagrad(std::span<const ParamGroup>(groups.begin(), groups.size()), options) {}

  std::array<const char*, 3> buffer_names() const override { return {"sum", "", ""}; }
  std::array<bool, 3> buffers_used(std::size_t group) const override {
    check_group(group, "buffers_used");
    return {true, false, false};
  }

 protected:
  void update(std::size_t index, Parameter& parameter, ParameterState& state,
              const AdagradOptions& options) override;
};

}  // namespace recur::optim
