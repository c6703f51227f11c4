// The activation modules: each is its op with the options it was given, in a Sequential too.
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <memory>

#include "autograd/ops/activations.hpp"
#include "autograd/ops/elementwise.hpp"
#include "autograd/ops/nn_ops.hpp"
#include "autograd/tape.hpp"
#include "layers/activation.hpp"
#include "layers/linear.hpp"
#include "layers/sequential.hpp"
#include "support/check.hpp"
#include "support/tensors.hpp"

using namespace recur;
using recur::test::shaped;

BOOST_AUTO_TEST_SUITE(activation_modules)

BOOST_AUTO_TEST_CASE(each_module_is_its_op_with_its_options) {
  Tape tape;
  const Var x = tape.input(shaped({2, 3}, {-3.0f, -0.5f, 0.0f, 0.25f, 1.5f, 30.0f}));
  const auto same = [](const Var& a, const Var& b) {
    RECUR_CHECK_CLOSE(a.value(), b.value(), 0.0, 0.0);
  };
  same(nn::GELU()(x), gelu(x));
  same(nn::GELU({.approximate = GeluApproximation::tanh})(x), gelu(x, GeluApproximation::tanh));
  same(nn::SiLU()(x), silu(x));
  same(nn::LeakyReLU()(x), leaky_relu(x, 0.01f));
  same(nn::LeakyReLU({.negative_slope = 0.2f})(x), leaky_relu(x, 0.2f));
  same(nn::Softplus({.beta = 2.0f, .threshold = 5.0f})(x), softplus(x, 2.0f, 5.0f));
  same(nn::LogSigmoid()(x), log_sigmoid(x));
  same(nn::Softmax({.dim = 0})(x), softmax(x, 0));
  same(nn::LogSoftmax()(x), log_softmax(x, -1));
  // The options change the values: torch's numbers for a few of them.
  BOOST_TEST(nn::LeakyReLU({.negative_slope = 0.2f})(x).value()(0, 0) == -0.6f);
  BOOST_TEST(nn::GELU()(x).value()(1, 1) == 1.5f * 0.5f * (1.0f + std::erf(1.5f / std::sqrt(2.0f))),
             boost::test_tools::tolerance(1e-6f));
  BOOST_TEST(nn::Softplus()(x).value()(1, 2) == 30.0f);  // above the threshold: x itself
  BOOST_TEST(nn::Softplus()(x).value()(0, 0) == std::log1p(std::exp(-3.0f)),
             boost::test_tools::tolerance(1e-6f));
}

BOOST_AUTO_TEST_CASE(activations_chain_in_a_sequential) {
  nn::Sequential mlp;
  mlp.push_back(nn::Linear({.in_features = 3, .out_features = 4}));
  mlp.push_back(nn::GELU());
  mlp.push_back(nn::Linear({.in_features = 4, .out_features = 2}));
  mlp.push_back(nn::LogSoftmax());
  BOOST_TEST(mlp.named_parameters().size() == 4u);
  BOOST_TEST(mlp.named_parameters()[2].first == "2.weight");
  Tape tape;
  const Tensor probabilities =
      xt::exp(mlp(tape.input(shaped({2, 3}, {1, 2, 3, -1, 0, 1}))).value());
  for (std::size_t row = 0; row < 2; ++row)
    BOOST_TEST(probabilities(row, 0) + probabilities(row, 1) == 1.0f,
               boost::test_tools::tolerance(1e-6f));
}

BOOST_AUTO_TEST_SUITE_END()
