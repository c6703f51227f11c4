// Chrono initialisation (Tallec and Ollivier 2018) of nn::LSTM's and nn::GRU's gate biases:
// the values, their distribution, the unchanged layout and the refused combinations.
#include <boost/test/unit_test.hpp>

#include "zoo_support.hpp"

using namespace recur;
using namespace recur::test;

BOOST_AUTO_TEST_SUITE(chrono_init)

BOOST_AUTO_TEST_CASE(chrono_init_sets_lstm_and_gru_gate_biases) {
  const float t_max = 100.0f;
  const std::size_t hidden = 256;
  nn::LSTM lstm({.input_size = I, .hidden_size = hidden, .num_layers = 2, .chrono_init = t_max});
  for (const char* layer : {"0", "1"}) {
    const Tensor& b_ih = lstm.find_parameter(std::string("bias_ih_l") + layer)->value;
    const Tensor& b_hh = lstm.find_parameter(std::string("bias_hh_l") + layer)->value;
    double mean = 0.0;
    for (std::size_t j = 0; j < hidden; ++j) {
      const float forget = b_ih.data()[hidden + j];
      BOOST_TEST(forget >= 0.0f);  // log 1
      BOOST_TEST(forget <= std::log(t_max - 1) + 1e-6f);
      BOOST_TEST(b_ih.data()[j] == -forget);             // b_i = -b_f
      BOOST_TEST(b_hh.data()[j] == 0.0f);                // the sums are exactly chrono's
      BOOST_TEST(b_hh.data()[hidden + j] == 0.0f);
      mean += std::exp(forget) / hidden;
    }
    BOOST_TEST(std::abs(mean - t_max / 2) < 10.0);  // exp(b_f) ~ U(1, T_max - 1), mean 50
    BOOST_TEST(b_ih.data()[2 * hidden] != 0.0f);     // g and o keep torch's init
  }
  BOOST_TEST(lstm.find_parameter("weight_ih_l0")->value.shape(0) == 4 * hidden);  // same layout
  nn::GRU gru({.input_size = I, .hidden_size = hidden, .chrono_init = t_max});
  const Tensor& g_ih = gru.find_parameter("bias_ih_l0")->value;
  const Tensor& g_hh = gru.find_parameter("bias_hh_l0")->value;
  for (std::size_t j = 0; j < hidden; ++j) {
    BOOST_TEST(g_ih.data()[hidden + j] >= 0.0f);  // z keeps h: biased towards 1
    BOOST_TEST(g_ih.data()[hidden + j] <= std::log(t_max - 1) + 1e-6f);
    BOOST_TEST(g_hh.data()[hidden + j] == 0.0f);
  }
  BOOST_CHECK_THROW(nn::LSTM({.input_size = I, .hidden_size = 4, .chrono_init = 1.5f}),
                    ValueError);
  BOOST_CHECK_THROW(nn::LSTM({.input_size = I, .hidden_size = 4, .bias = false,
                              .chrono_init = 10}),
                    ValueError);
  BOOST_CHECK_THROW(nn::LSTM({.input_size = I, .hidden_size = 4, .forget_bias = 1,
                              .chrono_init = 10}),
                    ValueError);
  BOOST_CHECK_THROW(nn::GRU({.input_size = I, .hidden_size = 4, .chrono_init = -3}), ValueError);
}

BOOST_AUTO_TEST_SUITE_END()
