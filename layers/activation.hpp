/// @file
/// Activation modules: the elementwise nonlinearities (and softmax) as layers, for Sequential,
/// with torch.nn's class names and defaults.
#pragma once

#include "autograd/ops/activations.hpp"
#include "layers/module.hpp"

namespace recur::nn {

/// max(x, 0) elementwise, torch.nn.ReLU.
/// @code
/// model.emplace<recur::nn::ReLU>();
/// @endcode
class ReLU : public UnaryModule {
 public:
  /// relu(x), any shape.
  Var forward(const Var& x) override;
};

/// tanh(x) elementwise, torch.nn.Tanh.
class Tanh : public UnaryModule {
 public:
  /// tanh(x), any shape.
  Var forward(const Var& x) override;
};

/// 1 / (1 + exp(-x)) elementwise, torch.nn.Sigmoid.
class Sigmoid : public UnaryModule {
 public:
  /// sigmoid(x), any shape.
  Var forward(const Var& x) override;
};

/// Options of GELU.
struct GELUOptions {
  /// The exact form (torch's default) or the tanh approximation (GPT-2's, `approximate='tanh'`).
  GeluApproximation approximate = GeluApproximation::none;
};

/// x * Phi(x) elementwise, Phi the standard normal CDF: torch.nn.GELU.
/// @code
/// mlp.push_back(recur::nn::GELU({.approximate = recur::GeluApproximation::tanh}));
/// @endcode
class GELU : public UnaryModule {
 public:
  /// A GELU of the given form.
  explicit GELU(const GELUOptions& options = {}) : options_(options) {}
  /// gelu(x), any shape.
  Var forward(const Var& x) override;
  /// The options.
  const GELUOptions& options() const { return options_; }

 private:
  GELUOptions options_;
};

/// x * sigmoid(x) elementwise (swish): torch.nn.SiLU.
class SiLU : public UnaryModule {
 public:
  /// silu(x), any shape.
  Var forward(const Var& x) override;
};

/// Options of LeakyReLU.
struct LeakyReLUOptions {
  float negative_slope = 0.01f;  ///< The slope for x <= 0.
};

/// x for x > 0, negative_slope * x otherwise: torch.nn.LeakyReLU.
class LeakyReLU : public UnaryModule {
 public:
  /// A leaky ReLU with the given slope.
  explicit LeakyReLU(const LeakyReLUOptions& options = {}) : options_(options) {}
  /// leaky_relu(x), any shape.
  Var forward(const Var& x) override;
  /// The options.
  const LeakyReLUOptions& options() const { return options_; }

 private:
  LeakyReLUOptions options_;
};

/// Options of Softplus.
struct SoftplusOptions {
  float beta = 1.0f;        ///< The sharpness: log(1 + exp(beta x)) / beta.
  float threshold = 20.0f;  ///< Above this value of beta x the result is x itself.
};

/// log(1 + exp(beta x)) / beta elementwise, linear above the threshold: torch.nn.Softplus.
class Softplus : public UnaryModule {
 public:
  /// A softplus with the given sharpness and threshold.
  explicit Softplus(const SoftplusOptions& options = {}) : options_(options) {}
  /// softplus(x), any shape.
  Var forward(const Var& x) override;
  /// The options.
  const SoftplusOptions& options() const { return options_; }

 private:
  SoftplusOptions options_;
};

/// log(sigmoid(x)) elementwise, computed stably: torch.nn.LogSigmoid.
class LogSigmoid : public UnaryModule {
 public:
  /// log_sigmoid(x), any shape.
  Var forward(const Var& x) override;
};

/// Options of Softmax and LogSoftmax.
struct SoftmaxOptions {
  int dim = -1;  ///< The axis normalised over; negative counts from the end.
};

/// exp(x) / sum(exp(x)) along `dim`: torch.nn.Softmax.
class Softmax : public UnaryModule {
 public:
  /// A softmax over the given axis (the last by default).
  explicit Softmax(const SoftmaxOptions& options = {}) : options_(options) {}
  /// softmax(x, dim).
  /// @throws recur::ShapeError for an axis out of range.
  Var forward(const Var& x) override;
  /// The options.
  const SoftmaxOptions& options() const { return options_; }

 private:
  SoftmaxOptions options_;
};

/// log(softmax(x)) along `dim`, computed stably: torch.nn.LogSoftmax.
class LogSoftmax : public UnaryModule {
 public:
  /// A log-softmax over the given axis (the last by default).
  explicit LogSoftmax(const SoftmaxOptions& options = {}) : options_(options) {}
  /// log_softmax(x, dim).
  /// @throws recur::ShapeError for an axis out of range.
  Var forward(const Var& x) override;
  /// The options.
  const SoftmaxOptions& options() const { return options_; }

 private:
  SoftmaxOptions options_;
};

}  // namespace recur::nn
