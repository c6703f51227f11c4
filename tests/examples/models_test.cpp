// The memory-horizon models' options that change an initialisation: IndRNN's long-sequence
// draw of u.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <string>

#include "core/random.hpp"
#include "models.hpp"

using recur::examples::ModelKind;
using recur::examples::ModelOptions;

namespace {

// The IndRNN's u (weight_hh_l0) of a sweep-sized model for sequences of `length` tokens.
recur::Tensor indrnn_u(std::size_t length, bool memory_init) {
  recur::manual_seed(3);
  const ModelOptions options{.kind = ModelKind::indrnn, .vocabulary = 17, .classes = 8,
                             .hidden = 32, .sequence_length = length,
                             .indrnn_memory_init = memory_init};
  auto model = recur::examples::make_model(options);
  for (auto& [name, parameter] : model->named_parameters())
    if (name.ends_with("weight_hh_l0")) return parameter->value;
  BOOST_FAIL("no weight_hh_l0 among the IndRNN model's parameters");
  return {};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(memory_horizon_models)

BOOST_AUTO_TEST_CASE(indrnn_memory_init_draws_u_between_half_to_the_one_over_t_and_one) {
  const recur::Tensor u = indrnn_u(102, true);
  BOOST_TEST_REQUIRE(u.size() == 32u);
  const float low = static_cast<float>(std::pow(0.5, 1.0 / 102.0));  // 0.99323
  BOOST_TEST(*std::min_element(u.begin(), u.end()) >= low);
  BOOST_TEST(*std::max_element(u.begin(), u.end()) <= 1.0f);
  // The layer's own default is U(0, 1): 32 draws fall below 0.5 at least once.
  const recur::Tensor plain = indrnn_u(102, false);
  BOOST_TEST(*std::min_element(plain.begin(), plain.end()) < 0.5f);
}

BOOST_AUTO_TEST_SUITE_END()
