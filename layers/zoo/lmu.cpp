// The LMU: its memory's delay system discretised once (a matrix exponential in double), then
// per step the encoders, the memory update and the hidden state as ops on the tape.
#include "layers/zoo/lmu.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "autograd/anomaly.hpp"
#include "autograd/ops/elementwise.hpp"
#include "autograd/ops/linalg.hpp"
#include "autograd/ops/shape_ops.hpp"
#include "autograd/tape.hpp"
#include "core/error.hpp"
#include "core/random.hpp"

namespace recur::nn {
namespace {

constexpr const char* kName = "LMU";
using Matrix = std::vector<std::vector<double>>;

Matrix multiply(const Matrix& a, const Matrix& b) {
  const std::size_t n = a.size();
  Matrix c(n, std::vector<double>(n, 0.0));
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t k = 0; k < n; ++k)
      for (std::size_t j = 0; j < n; ++j) c[i][j] += a[i][k] * b[k][j];
  return c;
}

// exp(M) by scaling and squaring: exp(M) = exp(M / 2^s)^(2^s), with ||M / 2^s|| <= 1/2 and
// the Taylor series to 20 terms (each term under 2^-20 / 20!).
Matrix matrix_exponential(Matrix m) {
  const std::size_t n = m.size();
  double norm = 0;
  for (const auto& row : m) {
    double sum = 0;
    for (double v : row) sum += std::abs(v);
    norm = std::max(norm, sum);
  }
  int squarings = 0;
  while (norm > 0.5) {
    norm /= 2;
    ++squarings;
  }
  for (auto& row : m)
    for (double& v : row) v = std::ldexp(v, -squarings);
  Matrix result(n, std::vector<double>(n, 0.0)), term(n, std::vector<double>(n, 0.0));
  for (std::size_t i = 0; i < n; ++i) result[i][i] = term[i][i] = 1.0;
  for (int k = 1; k <= 20; ++k) {
    term = multiply(term, m);
    for (auto& row : term)
      for (double& v : row) v /= k;
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < n; ++j) result[i][j] += term[i][j];
  }
  for (int s = 0; s < squarings; ++s) result = multiply(result, result);
  return result;
}

Tensor linear_uniform(const Shape& shape, std::size_t fan_in) {
  const float bound = 1.0f / std::sqrt(static_cast<float>(fan_in));
  return default_generator().uniform(shape, -bound, bound);
}

}  // namespace

LMU::LMU(const LMUOptions& options) : options_(options) {
  detail::require_positive(kName, "input_size", options.input_size);
  detail::require_positive(kName, "hidden_size", options.hidden_size);
  detail::require_positive(kName, "memory_size", options.memory_size);
  if (!(options.theta > 0.0f) || !std::isfinite(options.theta))
    throw ValueError(std::string(kName) + ": theta, the memory's window in steps, must be "
                     "positive, got " + std::to_string(options.theta));
  const std::size_t I = options.input_size, H = options.hidden_size, d = options.memory_size;
  // Zero-order hold of theta m' = A m + B u over one step: exp([[A, B], [0, 0]] / theta) =
  // [[Abar, Bbar], [0, 1]], which needs no inverse of A.
  Matrix augmented(d + 1, std::vector<double>(d + 1, 0.0));
  for (std::size_t i = 0; i < d; ++i) {
    const double scale = (2.0 * static_cast<double>(i) + 1.0) / options.theta;
    for (std::size_t j = 0; j < d; ++j)
      augmented[i][j] = scale * (i < j ? -1.0 : ((i - j + 1) % 2 == 0 ? 1.0 : -1.0));
    augmented[i][d] = scale * (i % 2 == 0 ? 1.0 : -1.0);
  }
  const Matrix discrete = matrix_exponential(augmented);
  a_bar_ = zeros({d, d});
  b_bar_ = zeros({d});
  for (std::size_t i = 0; i < d; ++i) {
    for (std::size_t j = 0; j < d; ++j) a_bar_(i, j) = static_cast<float>(discrete[i][j]);
    b_bar_(i) = static_cast<float>(discrete[i][d]);
  }
  encoder_x_ = &register_parameter("encoder_x", linear_uniform({1, I}, I));
  encoder_h_ = &register_parameter("encoder_h", linear_uniform({1, H}, H));
  encoder_m_ = &register_parameter("encoder_m", zeros({1, d}));
  weight_x_ = &register_parameter("weight_x", linear_uniform({H, I}, I));
  weight_h_ = &register_parameter("weight_h", linear_uniform({H, H}, H));
  weight_m_ = &register_parameter("weight_m", linear_uniform({H, d}, d));
}

RecurrentResult LMU::forward(const Var& input, const std::array<Var, cell::kMaxStates>& initial) {
  const LMUOptions& o = options_;
  const std::string name = kName;
  const ModuleScope scope(this->name());
  detail::require_sequence_input(kName, input, o.input_size, o.batch_first);
  const std::size_t batch = input.dim(o.batch_first ? 0 : 1);
  const std::size_t H = o.hidden_size, d = o.memory_size;
  for (std::size_t k = 0; k < cell::kMaxStates; ++k)
    if (initial[k].defined() &&
        (k >= 2 || initial[k].rank() != 3 || initial[k].dim(0) != 1 ||
         initial[k].dim(1) != batch || initial[k].dim(2) != (k == 0 ? H : d)))
      throw ShapeError(name + ": expected " + (k == 0 ? "h0 " : k == 1 ? "m0 " : "no state ") +
                       shape_str(Shape{1, batch, k == 0 ? H : d}) + " for input " +
                       shape_str(input.shape()) + " but got " + shape_str(initial[k].shape()));
  Tape& tape = input.tape();
  const Var x = o.batch_first ? transpose(input, 0, 1) : input;  // [T, B, I]
  const std::size_t T = x.dim(0);
  const Var encoded_x = linear(x, tape.parameter(*encoder_x_));  // e_x . x_t, [T, B, 1]
  const Var driven_x = linear(x, tape.parameter(*weight_x_));    // W_x x_t, [T, B, H]
  const Var encoder_h = tape.parameter(*encoder_h_), encoder_m = tape.parameter(*encoder_m_);
  const Var weight_h = tape.parameter(*weight_h_), weight_m = tape.parameter(*weight_m_);
  const Var a_bar = tape.input(a_bar_), b_bar = tape.input(b_bar_);
  Var h = initial[0].defined() ? select(initial[0], 0, 0) : tape.zeros({batch, H});
  Var m = initial[1].defined() ? select(initial[1], 0, 0) : tape.zeros({batch, d});
  std::vector<Var> outputs(T);
  for (std::size_t t = 0; t < T; ++t) {
    const Var u = select(encoded_x, 0, t) + linear(h, encoder_h) + linear(m, encoder_m);  // [B, 1]
    m = linear(m, a_bar) + u * b_bar;  // Abar m + Bbar u: [B, d]
    h = tanh(select(driven_x, 0, t) + linear(h, weight_h) + linear(m, weight_m));
    outputs[t] = h;
  }
  RecurrentResult result;
  const Var y = stack(outputs, 0);
  result.output = o.batch_first ? transpose(y, 0, 1) : y;
  result.states[0] = reshape(h, {1, batch, H});
  result.states[1] = reshape(m, {1, batch, d});
  return result;
}

}  // namespace recur::nn
