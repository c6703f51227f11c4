/// @file
/// Adam and AdamW: adaptive moments, with AMSGrad; AdamW decouples the weight decay.
#pragma once

#include "optim/optimizer.hpp"

namespace recur::optim {

/// Options of Adam, with torch.optim.Adam's defaults.
struct AdamOptions {
  double lr = 1e-3;             ///< Learning rate.
  std::array<double, 2> betas = {0.9, 0.999};  ///< Decay rates of the first and second moments.
  double eps = 1e-8;            ///< Added to the denominator.
  double weight_decay = 0.0;    ///< L2 penalty added to the gradient: g += weight_decay * p.
  bool amsgrad = false;         ///< Normalise by the running maximum of the second moment.
};

/// Options of AdamW, with torch.optim.AdamW's defaults (weight decay 1e-2).
struct AdamWOptions {
  double lr = 1e-3;             ///< Learning rate.
  std::array<double, 2> betas = {0.9, 0.999};  ///< Decay rates of the first and second moments.
  double eps = 1e-8;            ///< Added to the denominator.
  double weight_decay = 1e-2;   ///< Decoupled decay: p *= 1 - lr * weight_decay before the step.
  bool amsgrad = false;         ///< Normalise by the running maximum of the second moment.
};

/// torch.optim.Adam: m = b1*m + (1-b1)*g, v = b2*v + (1-b2)*g^2 (v_max = max(v_max, v) with
/// amsgrad), p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps), with g = grad + wd*p.
///
/// @code
/// recur::optim::Adam opt(model.parameters(), {.lr = 1e-3});
/// @endcode
class Adam : public OptimizerWithOptions<AdamOptions> {
 public:
  /// Adam over one group of parameters.
  /// @throws recur::ValueError for invalid options.
  Adam(const std::vector<Parameter*>& params, const AdamOptions& options = {});
  /// Adam over several groups, `options` being the defaults each group may override.
  Adam(std::span<const ParamGroup> groups, const AdamOptions& options = {});
  /// @copydoc Adam(std::span<const ParamGroup>, const AdamOptions&)
  Adam(std::initializer_list<ParamGroup> groups, const AdamOptions& options = {})
      : Adam(std::span<const ParamGroup>(groups.begin(), groups.size()), options) {}

  std::array<const char*, 3> buffer_names() const override {
    return {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"};
  }
  std::array<bool, 3> buffers_used(std::size_t group) const override;

 protected:
  void update(std::size_t index, Parameter& parameter, ParameterState& state,
              const AdamOptions& options) override;
};

/// torch.optim.AdamW: p *= 1 - lr*weight_decay, then Adam's update with the plain gradient.
///
/// @code
/// recur::optim::AdamW opt(model.parameters(), {.lr = 3e-4, .weight_decay = 0.1});
/// @endcode
class AdamW : public OptimizerWithOptions<AdamWOptions> {
 public:
  /// AdamW over one group of parameters.
  /// @throws recur::ValueError for invalid options.
  AdamW(const std::vector<Parameter*>& params, const AdamWOptions& options = {});
  /// AdamW over several groups, `options` being the defaults each group may override.
  AdamW(std::span<const ParamGroup> groups, const AdamWOptions& options = {});
  /// @copydoc AdamW(std::span<const ParamGroup>, const AdamWOptions&)
  AdamW(std::initializer_list<ParamGroup> groups, const AdamWOptions& options = {})
      : AdamW(std::span<const ParamGroup>(groups.begin(), groups.size()), options) {}

  std::array<const char*, 3> buffer_names() const override {
    return {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"};
  }
  std::array<bool, 3> buffers_used(std::size_t group) const override;

 protected:
  void update(std::size_t index, Parameter& parameter, ParameterState& state,
              const AdamWOptions& options) override;
};

}  // namespace recur::optim
