// recur::data: pad_sequence, the shuffling SequenceBatcher and accuracy.
#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <initializer_list>
#include <set>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "layers/data_batcher.hpp"
#include "layers/data_metrics.hpp"
#include "layers/data_padding.hpp"
#include "support/check.hpp"
#include "support/errors.hpp"
#include "support/tensors.hpp"

using namespace recur;
using recur::test::contains;
using recur::test::error_message;
using recur::test::shaped;

namespace {

IndexTensor tokens(const std::vector<std::int64_t>& values) {
  IndexTensor out = IndexTensor::from_shape({values.size()});
  std::copy(values.begin(), values.end(), out.begin());
  return out;
}

// Lists of sequences spelled out: a braced list of tensors would fit both the float and the
// token overloads (xtensor converts between element types).
std::vector<IndexTensor> token_list(std::initializer_list<IndexTensor> list) { return list; }
std::vector<Tensor> tensor_list(std::initializer_list<Tensor> list) { return list; }

std::vector<std::int64_t> flat(const IndexTensor& tensor) {
  return std::vector<std::int64_t>(tensor.begin(), tensor.end());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(data_helpers)

BOOST_AUTO_TEST_CASE(pad_sequence_stacks_time_major_and_returns_lengths) {
  // [3, 2], [1, 2], [2, 2] -> [3, 3, 2], zero-padded after each sequence.
  const std::vector<Tensor> sequences = {shaped({3, 2}, {1, 2, 3, 4, 5, 6}), shaped({1, 2}, {7, 8}),
                                         shaped({2, 2}, {9, 10, 11, 12})};
  const data::Padded<Tensor> out = data::pad_sequence(sequences);
  const Tensor expected = shaped({3, 3, 2}, {1, 2, 7, 8, 9, 10,   // t = 0: b = 0, 1, 2
                                             3, 4, 0, 0, 11, 12,  // t = 1
                                             5, 6, 0, 0, 0, 0});  // t = 2
  RECUR_CHECK_CLOSE(out.padded, expected, 0.0, 0.0);
  BOOST_TEST(flat(out.lengths) == (std::vector<std::int64_t>{3, 1, 2}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(pad_sequence_batch_first_left_side_and_padding_value) {
  const std::vector<IndexTensor> sequences = {tokens({4, 5, 6}), tokens({7})};
  const auto batch_first =
      data::pad_sequence(sequences, {.batch_first = true, .padding_value = -1});
  BOOST_TEST(flat(batch_first.padded) == (std::vector<std::int64_t>{4, 5, 6, 7, -1, -1}),
             boost::test_tools::per_element());
  BOOST_TEST(shape_str(Shape(batch_first.padded.shape().begin(),
                             batch_first.padded.shape().end())) == "[2, 3]");
  const auto left =
      data::pad_sequence(sequences, {.padding_value = 9, .side = data::PaddingSide::left});
  // [T, B] = [3, 2]: the short sequence ends at the last step.
  BOOST_TEST(flat(left.padded) == (std::vector<std::int64_t>{4, 9, 5, 9, 6, 7}),
             boost::test_tools::per_element());
  BOOST_TEST(flat(left.lengths) == (std::vector<std::int64_t>{3, 1}),
             boost::test_tools::per_element());
  // A sequence of length 0 is all padding.
  const auto with_empty =
      data::pad_sequence(token_list({tokens({1, 2}), IndexTensor::from_shape({0})}));
  BOOST_TEST(flat(with_empty.padded) == (std::vector<std::int64_t>{1, 0, 2, 0}),
             boost::test_tools::per_element());
  BOOST_TEST(with_empty.lengths(1) == 0);
}

BOOST_AUTO_TEST_CASE(pad_sequence_refuses_bad_input_with_the_shapes) {
  const std::string empty =
      error_message<ValueError>([] { data::pad_sequence(std::vector<Tensor>{}); });
  BOOST_TEST(contains(empty, "empty list"), empty);
  const std::string trailing = error_message<ShapeError>([] {
    data::pad_sequence(tensor_list({zeros({2, 3}), zeros({4, 5})}));
  });
  BOOST_TEST(contains(trailing, "sequence 1 has shape [4, 5]"), trailing);
  BOOST_TEST(contains(trailing, "[T_i, 3]"), trailing);
  const std::string scalar =
      error_message<ShapeError>([] { data::pad_sequence(tensor_list({zeros({})})); });
  BOOST_TEST(contains(scalar, "0-d"), scalar);
  const std::string fraction = error_message<ValueError>(
      [] { data::pad_sequence(token_list({tokens({1})}), {.padding_value = 0.5}); });
  BOOST_TEST(contains(fraction, "not an integer"), fraction);
}

BOOST_AUTO_TEST_CASE(padding_mask_marks_the_steps_past_each_length) {
  const xt::xarray<bool> mask = data::padding_mask(tokens({3, 1, 0}), 3);
  const std::vector<bool> expected = {false, false, false, false, true, true, true, true, true};
  BOOST_TEST(std::vector<bool>(mask.begin(), mask.end()) == expected,
             boost::test_tools::per_element());
  const std::string too_long =
      error_message<ValueError>([] { data::padding_mask(tokens({2, 5}), 4); });
  BOOST_TEST(contains(too_long, "length 5 of sequence 1 is outside [0, 4]"), too_long);
}

BOOST_AUTO_TEST_CASE(batcher_visits_every_sequence_once_per_pass_in_a_new_order) {
  // 10 sequences of lengths 1..10 whose tokens are their own index: a batch shows which
  // sequences it holds, and that each was padded whole.
  std::vector<IndexTensor> sequences;
  IndexTensor labels = IndexTensor::from_shape({10});
  for (std::int64_t i = 0; i < 10; ++i) {
    sequences.push_back(
        tokens(std::vector<std::int64_t>(static_cast<std::size_t>(i + 1), i + 100)));
    labels(static_cast<std::size_t>(i)) = 1000 + i;
  }
  data::SequenceBatcher batcher(sequences, {.batch_size = 4, .seed = 7}, labels);
  BOOST_TEST(batcher.num_batches() == 3u);
  std::vector<std::vector<std::size_t>> orders;
  for (int pass = 0; pass < 3; ++pass) {
    std::vector<std::size_t> order, sizes;
    while (auto batch = batcher.next()) {
      const std::size_t count = batch->indices.size();
      sizes.push_back(count);
      std::int64_t longest = 0;
      for (std::size_t b = 0; b < count; ++b) {
        const std::size_t index = batch->indices[b];
        order.push_back(index);
        BOOST_TEST(batch->lengths(b) == static_cast<std::int64_t>(index + 1));
        BOOST_TEST(batch->labels(b) == static_cast<std::int64_t>(1000 + index));
        longest = std::max(longest, batch->lengths(b));
        for (std::size_t t = 0; t < batch->tokens.shape(0); ++t)  // [T, B], padded with 0
          BOOST_TEST(batch->tokens(t, b) == (t <= index ? std::int64_t(100 + index) : 0));
      }
      BOOST_TEST(batch->tokens.shape(0) == static_cast<std::size_t>(longest));
    }
    BOOST_TEST(sizes == (std::vector<std::size_t>{4, 4, 2}), boost::test_tools::per_element());
    std::vector<std::size_t> sorted = order;
    std::sort(sorted.begin(), sorted.end());
    for (std::size_t i = 0; i < 10; ++i) BOOST_TEST(sorted[i] == i);  // none dropped or repeated
    orders.push_back(order);
  }
  BOOST_TEST(orders[0] != orders[1]);
  BOOST_TEST(orders[1] != orders[2]);
  // The same seed gives the same orders; shuffle = false gives the data set's order.
  data::SequenceBatcher again(sequences, {.batch_size = 4, .seed = 7}, labels);
  std::vector<std::size_t> first;
  while (auto batch = again.next())
    first.insert(first.end(), batch->indices.begin(), batch->indices.end());
  BOOST_TEST(first == orders[0], boost::test_tools::per_element());
  data::SequenceBatcher ordered(sequences,
                                {.batch_size = 3, .shuffle = false, .batch_first = true});
  const auto batch = ordered.next();
  BOOST_TEST(batch->indices == (std::vector<std::size_t>{0, 1, 2}),
             boost::test_tools::per_element());
  BOOST_TEST(batch->tokens.shape(0) == 3u);  // [B, T] = [3, 3]
  BOOST_TEST(batch->tokens(1, 1) == 101);
  BOOST_TEST(batch->tokens(1, 2) == 0);
  BOOST_TEST(batch->labels.size() == 0u);
}

BOOST_AUTO_TEST_CASE(batcher_refuses_bad_data_sets) {
  const std::string none = error_message<ValueError>([] { data::SequenceBatcher({}); });
  BOOST_TEST(contains(none, "no sequence"), none);
  const std::string zero = error_message<ValueError>(
      [] { data::SequenceBatcher(token_list({tokens({1})}), {.batch_size = 0}); });
  BOOST_TEST(contains(zero, "batch_size"), zero);
  const std::string rank = error_message<ShapeError>([] {
    data::SequenceBatcher(token_list({tokens({1}), IndexTensor::from_shape({2, 2})}));
  });
  BOOST_TEST(contains(rank, "sequence 1 has shape [2, 2]"), rank);
  const std::string labels = error_message<ShapeError>([] {
    data::SequenceBatcher(token_list({tokens({1}), tokens({2})}), {}, tokens({5, 6, 7}));
  });
  BOOST_TEST(contains(labels, "labels [3] must be [2]"), labels);
}

BOOST_AUTO_TEST_CASE(accuracy_counts_matches_and_skips_ignored_labels) {
  const IndexTensor predicted = tokens({1, 2, 3, 4, 5});
  BOOST_TEST(data::num_correct(predicted, tokens({1, 0, 3, 0, 5})) == 3u);
  BOOST_TEST(data::accuracy(predicted, tokens({1, 0, 3, 0, 5})) == 0.6);
  BOOST_TEST(data::accuracy(predicted, tokens({1, -100, 3, -100, 0})) == 2.0 / 3.0);
  BOOST_TEST(data::accuracy(predicted, tokens({9, 2, 9, 9, 9}), 9) == 1.0);
  // From logits [2, 2, 3] against labels [2, 2].
  const Tensor logits = shaped({2, 2, 3}, {0, 1, 0, 5, 0, 0, 0, 0, 1, 1, 2, 3});
  IndexTensor labels = IndexTensor::from_shape({2, 2});
  labels(0, 0) = 1;
  labels(0, 1) = 0;
  labels(1, 0) = 0;
  labels(1, 1) = 2;
  BOOST_TEST(data::accuracy(logits, labels) == 0.75);
  const std::string shapes = error_message<ShapeError>([&] {
    data::accuracy(logits, tokens({1, 2}));
  });
  BOOST_TEST(contains(shapes, "logits [2, 2, 3] do not fit labels [2]"), shapes);
  const std::string nothing =
      error_message<ValueError>([&] { data::accuracy(tokens({1}), tokens({-100})); });
  BOOST_TEST(contains(nothing, "no position"), nothing);
}

BOOST_AUTO_TEST_SUITE_END()
