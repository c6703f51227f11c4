// nn::init: torch.nn.init's gains, fans, bounds and standard deviations, checked on the
// statistics of large draws, and orthogonal_'s Q^T Q = I.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <string>

#include "core/error.hpp"
#include "core/random.hpp"
#include "layers/init.hpp"
#include "layers/linear.hpp"
#include "support/errors.hpp"

using namespace recur;
namespace init = recur::nn::init;
using recur::test::contains;
using recur::test::error_message;

namespace {

struct Stats {
  double mean = 0, std = 0, min = 0, max = 0;
};

Stats stats_of(const Tensor& tensor) {
  Stats out{.min = tensor.data()[0], .max = tensor.data()[0]};
  for (float v : tensor) {
    out.mean += v;
    out.min = std::min<double>(out.min, v);
    out.max = std::max<double>(out.max, v);
  }
  out.mean /= static_cast<double>(tensor.size());
  for (float v : tensor) out.std += (v - out.mean) * (v - out.mean);
  out.std = std::sqrt(out.std / static_cast<double>(tensor.size() - 1));
  return out;
}

// U(-bound, bound): every value inside, the extremes close to the bound, std bound / sqrt(3).
void expect_uniform(const Tensor& tensor, double bound) {
  const Stats s = stats_of(tensor);
  BOOST_TEST(s.min >= -bound);
  BOOST_TEST(s.max <= bound);
  BOOST_TEST(s.min < -0.99 * bound);
  BOOST_TEST(s.max > 0.99 * bound);
  BOOST_TEST(std::abs(s.mean) < 0.01 * bound);
  BOOST_TEST(s.std == bound / std::sqrt(3.0), boost::test_tools::tolerance(0.01));
}

// N(0, std^2): mean near 0, sample std within 1%, tails as wide as a normal's (|x| > 3 std
// exists among 100,000 draws; a uniform of the same std would stop at 1.73 std).
void expect_normal(const Tensor& tensor, double std) {
  const Stats s = stats_of(tensor);
  BOOST_TEST(std::abs(s.mean) < 0.01 * std);
  BOOST_TEST(s.std == std, boost::test_tools::tolerance(0.01));
  BOOST_TEST(std::max(-s.min, s.max) > 3.0 * std);
}

// max |(A^T A)_ij - I_ij| over a [rows, cols] matrix, columns (or, transposed, rows) orthonormal.
double orthonormality_error(const Tensor& a, std::size_t rows, std::size_t cols, bool by_rows,
                            double scale) {
  const std::size_t n = by_rows ? rows : cols, m = by_rows ? cols : rows;
  const auto at = [&](std::size_t i, std::size_t j) {  // element j of vector i
    return static_cast<double>(by_rows ? a.data()[i * cols + j] : a.data()[j * cols + i]) / scale;
  };
  double worst = 0;
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t k = 0; k < n; ++k) {
      double dot = 0;
      for (std::size_t j = 0; j < m; ++j) dot += at(i, j) * at(k, j);
      worst = std::max(worst, std::abs(dot - (i == k ? 1.0 : 0.0)));
    }
  return worst;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(nn_init)

BOOST_AUTO_TEST_CASE(calculate_gain_matches_torch) {
  BOOST_TEST(init::calculate_gain(init::Nonlinearity::linear) == 1.0);
  BOOST_TEST(init::calculate_gain(init::Nonlinearity::conv) == 1.0);
  BOOST_TEST(init::calculate_gain(init::Nonlinearity::sigmoid) == 1.0);
  BOOST_TEST(init::calculate_gain(init::Nonlinearity::tanh) == 5.0 / 3.0);
  BOOST_TEST(init::calculate_gain(init::Nonlinearity::relu) == std::sqrt(2.0));
  BOOST_TEST(init::calculate_gain(init::Nonlinearity::leaky_relu) == std::sqrt(2.0 / 1.0001));
  BOOST_TEST(init::calculate_gain(init::Nonlinearity::leaky_relu, 0.2) == std::sqrt(2.0 / 1.04));
  BOOST_TEST(init::calculate_gain(init::Nonlinearity::leaky_relu, std::sqrt(5.0)) ==
             std::sqrt(2.0 / 6.0));
  BOOST_TEST(init::calculate_gain(init::Nonlinearity::selu) == 0.75);
  const std::string message = error_message<ValueError>(
      [] { init::calculate_gain(init::Nonlinearity::leaky_relu, NAN); });
  BOOST_TEST(contains(message, "negative_slope"), message);
}

BOOST_AUTO_TEST_CASE(fans_follow_torch_for_linear_and_convolution_weights) {
  const init::Fans linear = init::calculate_fans({3, 5});
  BOOST_TEST(linear.fan_in == 5u);
  BOOST_TEST(linear.fan_out == 3u);
  const init::Fans conv = init::calculate_fans({4, 2, 3, 5});  // [out, in, kH, kW]
  BOOST_TEST(conv.fan_in == 2u * 15u);
  BOOST_TEST(conv.fan_out == 4u * 15u);
  for (const Shape& shape : {Shape{7}, Shape{}}) {
    const std::string message = error_message<ValueError>([&] { init::calculate_fans(shape); });
    BOOST_TEST(contains(message, "fewer than 2 dimensions"), message);
  }
  Tensor bias = zeros({7});
  const std::string message = error_message<ValueError>([&] { init::xavier_uniform_(bias); });
  BOOST_TEST(contains(message, "xavier_uniform_"), message);
  BOOST_TEST(contains(message, "[7]"), message);
}

BOOST_AUTO_TEST_CASE(xavier_uniform_and_normal_use_both_fans) {
  Generator generator(11);
  Tensor w = zeros({300, 500});  // fan_in 500, fan_out 300
  init::xavier_uniform_(w, 1.0, generator);
  expect_uniform(w, std::sqrt(6.0 / 800.0));
  init::xavier_uniform_(w, 2.0, generator);
  expect_uniform(w, 2.0 * std::sqrt(6.0 / 800.0));
  init::xavier_normal_(w, 1.5, generator);
  expect_normal(w, 1.5 * std::sqrt(2.0 / 800.0));
}

BOOST_AUTO_TEST_CASE(kaiming_uniform_and_normal_use_the_chosen_fan_and_gain) {
  Generator generator(12);
  Tensor w = zeros({250, 40, 3, 3});  // fan_in 360, fan_out 2250
  init::kaiming_uniform_(w, 0.0, init::FanMode::fan_in, init::Nonlinearity::leaky_relu, generator);
  expect_uniform(w, std::sqrt(6.0 / 360.0));  // gain sqrt(2): bound sqrt(6 / fan_in)
  init::kaiming_uniform_(w, 0.0, init::FanMode::fan_out, init::Nonlinearity::relu, generator);
  expect_uniform(w, std::sqrt(6.0 / 2250.0));
  init::kaiming_normal_(w, 0.0, init::FanMode::fan_in, init::Nonlinearity::relu, generator);
  expect_normal(w, std::sqrt(2.0) / std::sqrt(360.0));
  init::kaiming_normal_(w, 0.0, init::FanMode::fan_out, init::Nonlinearity::tanh, generator);
  expect_normal(w, (5.0 / 3.0) / std::sqrt(2250.0));
  init::kaiming_normal_(w, 0.3, init::FanMode::fan_in, init::Nonlinearity::leaky_relu, generator);
  expect_normal(w, std::sqrt(2.0 / 1.09) / std::sqrt(360.0));
}

BOOST_AUTO_TEST_CASE(kaiming_uniform_with_a_sqrt5_is_linears_default) {
  // torch.nn.Linear.reset_parameters: kaiming_uniform_(weight, a=sqrt(5)) = U(+-1/sqrt(in)).
  Generator generator(13);
  Tensor w = zeros({400, 250});
  init::kaiming_uniform_(w, std::sqrt(5.0), init::FanMode::fan_in,
                         init::Nonlinearity::leaky_relu, generator);
  expect_uniform(w, 1.0 / std::sqrt(250.0));
  nn::Linear linear({.in_features = 250, .out_features = 400});
  expect_uniform(linear.weight().value, 1.0 / std::sqrt(250.0));
}

BOOST_AUTO_TEST_CASE(orthogonal_gives_orthonormal_columns_or_rows_times_gain) {
  Generator generator(14);
  Tensor tall = zeros({40, 12}), wide = zeros({12, 40}), square = zeros({32, 32});
  init::orthogonal_(tall, 1.0, generator);
  BOOST_TEST(orthonormality_error(tall, 40, 12, false, 1.0) < 1e-6);  // Q^T Q = I
  init::orthogonal_(wide, 1.0, generator);
  BOOST_TEST(orthonormality_error(wide, 12, 40, true, 1.0) < 1e-6);   // Q Q^T = I
  init::orthogonal_(square, 2.5, generator);
  BOOST_TEST(orthonormality_error(square, 32, 32, false, 2.5) < 1e-6);
  BOOST_TEST(orthonormality_error(square, 32, 32, true, 2.5) < 1e-6);
  // More than two dimensions: viewed as [shape[0], rest] = [6, 20], so its 6 rows.
  Tensor conv = zeros({6, 4, 5});
  init::orthogonal_(conv, 1.0, generator);
  BOOST_TEST(orthonormality_error(conv, 6, 20, true, 1.0) < 1e-6);
  // A random rotation, not a fixed one: a second draw differs, and the entries of a uniformly
  // random orthogonal [32, 32] matrix have variance 1/32.
  Tensor other = zeros({32, 32});
  init::orthogonal_(other, 1.0, generator);
  BOOST_TEST(!(other == square / 2.5f));
  BOOST_TEST(stats_of(other).std == 1.0 / std::sqrt(32.0), boost::test_tools::tolerance(0.05));
  Tensor vector = zeros({5});
  const std::string message = error_message<ValueError>([&] { init::orthogonal_(vector); });
  BOOST_TEST(contains(message, "2 or more dimensions"), message);
}

BOOST_AUTO_TEST_CASE(constants_uniform_and_normal_fill_as_asked) {
  Generator generator(15);
  Tensor t = zeros({200, 500});
  init::ones_(t);
  BOOST_TEST(stats_of(t).min == 1.0);
  BOOST_TEST(stats_of(t).max == 1.0);
  init::constant_(t, -0.25);
  BOOST_TEST(stats_of(t).max == -0.25);
  init::zeros_(t);
  BOOST_TEST(stats_of(t).max == 0.0);
  init::uniform_(t, 2.0, 4.0, generator);
  const Stats u = stats_of(t);
  BOOST_TEST(u.min >= 2.0);
  BOOST_TEST(u.max < 4.0);
  BOOST_TEST(u.mean == 3.0, boost::test_tools::tolerance(0.003));
  init::normal_(t, -1.0, 0.5, generator);
  const Stats n = stats_of(t);
  BOOST_TEST(n.mean == -1.0, boost::test_tools::tolerance(0.005));
  BOOST_TEST(n.std == 0.5, boost::test_tools::tolerance(0.01));
}

BOOST_AUTO_TEST_CASE(parameters_are_filled_in_place_with_their_version_bumped) {
  Parameter weight(zeros({8, 4}));
  const float* storage = weight.value.data();
  const std::uint64_t before = weight.version;
  manual_seed(16);
  init::xavier_uniform_(weight);
  BOOST_TEST(weight.value.data() == storage);
  BOOST_TEST(weight.version == before + 1);
  // The default generator: the same seed draws the same values.
  const Tensor first = weight.value;
  manual_seed(16);
  init::xavier_uniform_(weight);
  BOOST_TEST((weight.value == first));
  init::orthogonal_(weight);
  init::zeros_(weight);
  BOOST_TEST(weight.version == before + 4);
}

BOOST_AUTO_TEST_SUITE_END()
