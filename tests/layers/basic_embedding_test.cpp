// Embedding: lookups, gradients into the picked rows, padding_idx, N(0, 1) initialisation.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <string>

#include "autograd/tape.hpp"
#include "basic_support.hpp"
#include "core/error.hpp"
#include "core/random.hpp"
#include "layers/embedding.hpp"
#include "support/check.hpp"

using namespace recur;

BOOST_AUTO_TEST_SUITE(basic_embedding)

BOOST_AUTO_TEST_CASE(embedding_picks_rows_and_appends_the_dimension) {
  nn::Embedding embed({.num_embeddings = 4, .embedding_dim = 2});
  embed.weight().value = Tensor{{0.0f, 1.0f}, {10.0f, 11.0f}, {20.0f, 21.0f}, {30.0f, 31.0f}};
  Tape tape;
  // tokens [T = 2, B = 3] -> [2, 3, 2]
  const Var y = embed(tape, IndexTensor{{3, 0, 1}, {1, 1, 2}});
  const Tensor expected = {{{30.0f, 31.0f}, {0.0f, 1.0f}, {10.0f, 11.0f}},
                           {{10.0f, 11.0f}, {10.0f, 11.0f}, {20.0f, 21.0f}}};
  BOOST_TEST((y.value() == expected));
}

BOOST_AUTO_TEST_CASE(embedding_gradient_adds_into_each_picked_row) {
  manual_seed(12);
  nn::Embedding embed({.num_embeddings = 5, .embedding_dim = 3});
  const IndexTensor tokens = {{0, 2, 2}, {4, 2, 0}};
  Tape tape;
  tape.backward(sum(embed(tape, tokens)));
  // Row r receives one per occurrence: 0 twice, 2 three times, 4 once, 1 and 3 never.
  const Tensor expected = {{2.0f, 2.0f, 2.0f}, {0.0f, 0.0f, 0.0f}, {3.0f, 3.0f, 3.0f},
                           {0.0f, 0.0f, 0.0f}, {1.0f, 1.0f, 1.0f}};
  BOOST_TEST((embed.weight().grad == expected));
  const std::string difference = test::check_parameter_gradients(
      embed, [&](Tape& t) { return embed(t, tokens); });
  BOOST_TEST(difference.empty(), difference);
}

BOOST_AUTO_TEST_CASE(padding_row_starts_at_zero_and_gets_no_gradient) {
  manual_seed(13);
  nn::Embedding embed({.num_embeddings = 4, .embedding_dim = 3, .padding_idx = -1});
  BOOST_TEST(*embed.options().padding_idx == 3);  // -1 counts from the end, as in PyTorch
  const Tensor& table = embed.weight().value;
  for (std::size_t d = 0; d < 3; ++d) {
    BOOST_TEST(table(3, d) == 0.0f);
    BOOST_TEST(table(0, d) != 0.0f);
  }
  Tape tape;
  tape.backward(sum(embed(tape, IndexTensor{3, 1, 3})));
  BOOST_TEST((embed.weight().grad == Tensor{{0, 0, 0}, {1, 1, 1}, {0, 0, 0}, {0, 0, 0}}));
}

BOOST_AUTO_TEST_CASE(embedding_initialises_standard_normal) {
  manual_seed(14);
  nn::Embedding embed({.num_embeddings = 200, .embedding_dim = 50});
  const Tensor& table = embed.weight().value;
  double total = 0.0, squares = 0.0;
  for (float v : table) {
    total += v;
    squares += static_cast<double>(v) * v;
  }
  const double count = static_cast<double>(table.size());
  const double mean = total / count;
  const double stddev = std::sqrt(squares / count - mean * mean);
  // 10,000 draws: the standard error of the mean is 0.01, of the deviation ~0.007.
  BOOST_TEST(std::abs(mean) < 0.04, "mean " << mean);
  BOOST_TEST(std::abs(stddev - 1.0) < 0.03, "standard deviation " << stddev);
}

BOOST_AUTO_TEST_CASE(embedding_rejects_bad_indices_and_options) {
  nn::Embedding embed({.num_embeddings = 4, .embedding_dim = 2});
  Tape tape;
  try {
    embed(tape, IndexTensor{1, 4});
    BOOST_FAIL("an index equal to num_embeddings was accepted");
  } catch (const ValueError& error) {
    const std::string message = error.what();
    BOOST_TEST(message.find('4') != std::string::npos, message);
  }
  BOOST_CHECK_THROW(embed(tape, IndexTensor{-1}), ValueError);
  BOOST_CHECK_THROW(nn::Embedding({.num_embeddings = 4, .embedding_dim = 2, .padding_idx = 4}),
                    ValueError);
  BOOST_CHECK_THROW(nn::Embedding({.num_embeddings = 4, .embedding_dim = 2, .padding_idx = -5}),
                    ValueError);
  BOOST_CHECK_THROW(nn::Embedding({.num_embeddings = 0, .embedding_dim = 2}), ValueError);
}

BOOST_AUTO_TEST_SUITE_END()
