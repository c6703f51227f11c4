#include "layers/init.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/shape.hpp"

namespace recur::nn::init {
namespace {

void fill_uniform(Tensor& tensor, double low, double high, Generator& generator) {
  const auto lo = static_cast<float>(low), hi = static_cast<float>(high);
  for (float& value : tensor) value = generator.uniform(lo, hi);
}

void fill_normal(Tensor& tensor, double mean, double std, Generator& generator) {
  const auto mu = static_cast<float>(mean), sigma = static_cast<float>(std);
  for (float& value : tensor) value = generator.normal(mu, sigma);
}

Fans fans_of(const Tensor& tensor, const char* caller) {
  const Shape shape(tensor.shape().begin(), tensor.shape().end());
  if (shape.size() < 2)
    throw ValueError(std::string(caller) + ": fan in and fan out can not be computed for a " +
                     "tensor " + shape_str(shape) + " with fewer than 2 dimensions");
  return calculate_fans(shape);
}

// torch's _calculate_correct_fan.
double fan_for(const Tensor& tensor, FanMode mode, const char* caller) {
  const Fans fans = fans_of(tensor, caller);
  return static_cast<double>(mode == FanMode::fan_in ? fans.fan_in : fans.fan_out);
}

// The Q of A = QR for a tall A [m, n] (m >= n), row-major, with R's diagonal positive:
// Gram-Schmidt, each column orthogonalised twice against the ones before it (one pass loses
// orthogonality in float-sized problems; two are enough, Giraud et al. 2005).
std::vector<double> orthonormal_columns(std::vector<double> a, std::size_t m, std::size_t n) {
  for (std::size_t j = 0; j < n; ++j) {
    for (int pass = 0; pass < 2; ++pass)
      for (std::size_t k = 0; k < j; ++k) {
        double dot = 0;
        for (std::size_t i = 0; i < m; ++i) dot += a[i * n + k] * a[i * n + j];
        for (std::size_t i = 0; i < m; ++i) a[i * n + j] -= dot * a[i * n + k];
      }
    double norm = 0;
    for (std::size_t i = 0; i < m; ++i) norm += a[i * n + j] * a[i * n + j];
    norm = std::sqrt(norm);  // R's diagonal entry, positive: torch's sign correction built in
    for (std::size_t i = 0; i < m; ++i) a[i * n + j] /= norm;
  }
  return a;
}

}  // namespace

double calculate_gain(Nonlinearity nonlinearity, std::optional<double> param) {
  switch (nonlinearity) {
    case Nonlinearity::linear:
    case Nonlinearity::conv:
    case Nonlinearity::sigmoid: return 1.0;
    case Nonlinearity::tanh: return 5.0 / 3.0;
    case Nonlinearity::relu: return std::sqrt(2.0);
    case Nonlinearity::leaky_relu: {
      const double slope = param.value_or(0.01);
      if (!std::isfinite(slope))
        throw ValueError("calculate_gain: negative_slope " + std::to_string(slope) +
                         " is not a valid number");
      return std::sqrt(2.0 / (1.0 + slope * slope));
    }
    case Nonlinearity::selu: return 3.0 / 4.0;
  }
  return 1.0;
}

Fans calculate_fans(const Shape& shape) {
  if (shape.size() < 2)
    throw ValueError("calculate_fans: fan in and fan out can not be computed for a tensor " +
                     shape_str(shape) + " with fewer than 2 dimensions");
  std::size_t receptive_field = 1;
  for (std::size_t axis = 2; axis < shape.size(); ++axis) receptive_field *= shape[axis];
  return {.fan_in = shape[1] * receptive_field, .fan_out = shape[0] * receptive_field};
}

void uniform_(Tensor& tensor, double a, double b, Generator& generator) {
  fill_uniform(tensor, a, b, generator);
}

void normal_(Tensor& tensor, double mean, double std, Generator& generator) {
  fill_normal(tensor, mean, std, generator);
}

void constant_(Tensor& tensor, double value) {
  std::fill(tensor.begin(), tensor.end(), static_cast<float>(value));
}

void zeros_(Tensor& tensor) { constant_(tensor, 0.0); }

void ones_(Tensor& tensor) { constant_(tensor, 1.0); }

void xavier_uniform_(Tensor& tensor, double gain, Generator& generator) {
  const Fans fans = fans_of(tensor, "xavier_uniform_");
  const double std = gain * std::sqrt(2.0 / static_cast<double>(fans.fan_in + fans.fan_out));
  const double bound = std::sqrt(3.0) * std;  // U(-a, a) has standard deviation a / sqrt(3)
  fill_uniform(tensor, -bound, bound, generator);
}

void xavier_normal_(Tensor& tensor, double gain, Generator& generator) {
  const Fans fans = fans_of(tensor, "xavier_normal_");
  const double std = gain * std::sqrt(2.0 / static_cast<double>(fans.fan_in + fans.fan_out));
  fill_normal(tensor, 0.0, std, generator);
}

void kaiming_uniform_(Tensor& tensor, double a, FanMode mode, Nonlinearity nonlinearity,
                      Generator& generator) {
  const double fan = fan_for(tensor, mode, "kaiming_uniform_");
  if (fan == 0) return;  // a tensor with no elements: nothing to fill (torch warns and returns)
  const double std = calculate_gain(nonlinearity, a) / std::sqrt(fan);
  const double bound = std::sqrt(3.0) * std;
  fill_uniform(tensor, -bound, bound, generator);
}

void kaiming_normal_(Tensor& tensor, double a, FanMode mode, Nonlinearity nonlinearity,
                     Generator& generator) {
  const double fan = fan_for(tensor, mode, "kaiming_normal_");
  if (fan == 0) return;
  fill_normal(tensor, 0.0, calculate_gain(nonlinearity, a) / std::sqrt(fan), generator);
}

void orthogonal_(Tensor& tensor, double gain, Generator& generator) {
  if (tensor.dimension() < 2)
    throw ValueError("orthogonal_: only tensors with 2 or more dimensions are supported, got " +
                     shape_str(Shape(tensor.shape().begin(), tensor.shape().end())));
  if (tensor.size() == 0) return;
  // tensor viewed as [rows, cols]; a wide matrix is drawn transposed, made tall, and its Q
  // transposed back, as torch does.
  const std::size_t rows = tensor.shape()[0], cols = tensor.size() / rows;
  const bool wide = rows < cols;
  const std::size_t m = wide ? cols : rows, n = wide ? rows : cols;
  std::vector<double> flattened(rows * cols);
  for (double& value : flattened) value = generator.normal(0.0f, 1.0f);
  std::vector<double> tall(m * n);
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t c = 0; c < cols; ++c)
      (wide ? tall[c * n + r] : tall[r * n + c]) = flattened[r * cols + c];
  const std::vector<double> q = orthonormal_columns(std::move(tall), m, n);
  float* out = tensor.data();
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t c = 0; c < cols; ++c)
      out[r * cols + c] = static_cast<float>(gain * (wide ? q[c * n + r] : q[r * n + c]));
}

void uniform_(Parameter& parameter, double a, double b, Generator& generator) {
  uniform_(parameter.value, a, b, generator);
  parameter.bump_version();
}

void normal_(Parameter& parameter, double mean, double std, Generator& generator) {
  normal_(parameter.value, mean, std, generator);
  parameter.bump_version();
}

void constant_(Parameter& parameter, double value) {
  constant_(parameter.value, value);
  parameter.bump_version();
}

void zeros_(Parameter& parameter) { constant_(parameter, 0.0); }

void ones_(Parameter& parameter) { constant_(parameter, 1.0); }

void xavier_uniform_(Parameter& parameter, double gain, Generator& generator) {
  xavier_uniform_(parameter.value, gain, generator);
  parameter.bump_version();
}

void xavier_normal_(Parameter& parameter, double gain, Generator& generator) {
  xavier_normal_(parameter.value, gain, generator);
  parameter.bump_version();
}

void kaiming_uniform_(Parameter& parameter, double a, FanMode mode, Nonlinearity nonlinearity,
                      Generator& generator) {
  kaiming_uniform_(parameter.value, a, mode, nonlinearity, generator);
  parameter.bump_version();
}

void kaiming_normal_(Parameter& parameter, double a, FanMode mode, Nonlinearity nonlinearity,
                     Generator& generator) {
  kaiming_normal_(parameter.value, a, mode, nonlinearity, generator);
  parameter.bump_version();
}

void orthogonal_(Parameter& parameter, double gain, Generator& generator) {
  orthogonal_(parameter.value, gain, generator);
  parameter.bump_version();
}

}  // namespace recur::nn::init
