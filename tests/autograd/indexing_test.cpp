// masked_fill, gather and index_select: values against hand-made and xtensor references,
// gradients against finite differences (repeated indices included), and the errors.
#include "autograd/ops/indexing.hpp"

#include <boost/test/unit_test.hpp>
#include <cmath>
#include <limits>

#include "autograd/ops/nn_ops.hpp"
#include "autograd/tape.hpp"
#include "support/check.hpp"
#include "support/errors.hpp"
#include "support/gradients.hpp"
#include "support/tensors.hpp"

using namespace recur;
using recur::test::expect_error;
using recur::test::expect_gradients_match;
using recur::test::random_tensor;

namespace {

// Random 0/1 values.
Tensor random_mask(const Shape& shape, std::uint64_t seed) {
  Tensor mask = random_tensor(shape, seed, 0.0f, 1.0f);
  for (float& m : mask) m = m < 0.4f ? 1.0f : 0.0f;
  return mask;
}

// An index tensor of `shape` holding `values` (nested braces are ambiguous for xtensor).
IndexTensor indices(const Shape& shape, const std::vector<std::int64_t>& values) {
  IndexTensor index(shape);
  std::copy(values.begin(), values.end(), index.begin());
  return index;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(indexing)

BOOST_AUTO_TEST_CASE(masked_fill_matches_where_for_repeated_and_general_masks) {
  const Tensor x = random_tensor({2, 3, 4, 5}, 1, -2.0f, 2.0f);
  // [4, 5] repeats over the leading axes; [2, 1, 1, 5] and [3, 1, 1] broadcast in the middle.
  for (const Shape& mask_shape : {Shape{4, 5}, Shape{1, 4, 5}, Shape{2, 1, 1, 5}, Shape{3, 1, 1},
                                  Shape{2, 3, 4, 5}, Shape{}}) {
    BOOST_TEST_CONTEXT("mask " << shape_str(mask_shape)) {
      const Tensor mask = random_mask(mask_shape, 2 + mask_shape.size());
      Tape tape;
      const Tensor expected =
          xt::where(xt::not_equal(xt::broadcast(mask, x.shape()), 0.0f), -7.5f, x);
      RECUR_CHECK_CLOSE(masked_fill(tape.input(x), mask, -7.5f).value(), expected, 0, 0);
      expect_gradients_match(
          [&mask](std::span<const Var> in) { return masked_fill(in[0], mask, 3.0f); }, {x});
    }
  }
  // A boolean mask is the same.
  xt::xarray<bool> causal = xt::zeros<bool>({4, 5});
  for (std::size_t t = 0; t < 4; ++t)
    for (std::size_t s = t + 1; s < 5; ++s) causal(t, s) = true;
  Tape tape;
  const Tensor as_float = xt::cast<float>(causal);
  RECUR_CHECK_CLOSE(masked_fill(tape.input(x), causal, 1.0f).value(),
                    masked_fill(tape.input(x), as_float, 1.0f).value(), 0, 0);
}

BOOST_AUTO_TEST_CASE(masked_fill_with_minus_infinity_gives_a_causal_softmax) {
  const Tensor scores = random_tensor({2, 3, 3}, 3, -2.0f, 2.0f);
  Tensor causal = zeros({3, 3});
  causal(0, 1) = causal(0, 2) = causal(1, 2) = 1.0f;
  Tape tape;
  const Var x = tape.input(scores, true);
  const Var p = softmax(masked_fill(x, causal, -std::numeric_limits<float>::infinity()), -1);
  BOOST_TEST(p.value()(0, 0, 0) == 1.0f);
  BOOST_TEST(p.value()(1, 0, 2) == 0.0f);
  BOOST_TEST(p.value()(1, 1, 2) == 0.0f);
  tape.backward(p, random_tensor({2, 3, 3}, 4, -2.0f, 2.0f));
  for (std::size_t b = 0; b < 2; ++b) {
    BOOST_TEST(x.grad()(b, 0, 1) == 0.0f);  // masked: no gradient
    BOOST_TEST(std::isfinite(x.grad()(b, 2, 1)));
  }
}

BOOST_AUTO_TEST_CASE(masked_fill_refuses_a_mask_that_does_not_broadcast) {
  Tape tape;
  const Var x = tape.input(zeros({3, 4}));
  expect_error<ShapeError>(
      [&] {
        masked_fill(x, zeros({3, 5}), 0.0f);
      },
      {"masked_fill", "[3, 5]", "[3, 4]"});
  expect_error<ShapeError>(
      [&] {
        masked_fill(x, zeros({2, 3, 4}), 0.0f);
      },
      {"masked_fill", "[2, 3, 4]", "[3, 4]"});
}

BOOST_AUTO_TEST_CASE(gather_picks_along_an_axis_as_torch_gather) {
  // torch.gather(torch.tensor([[1, 2], [3, 4]]), 1, torch.tensor([[0, 0], [1, 0]])) = [[1, 1], [4,
  // 3]]
  Tape tape;
  const Var x = tape.input(Tensor{{1.0f, 2.0f}, {3.0f, 4.0f}});
  RECUR_CHECK_CLOSE(gather(x, 1, IndexTensor{{0, 0}, {1, 0}}).value(),
                    (Tensor{{1.0f, 1.0f}, {4.0f, 3.0f}}), 0, 0);
  RECUR_CHECK_CLOSE(gather(x, 0, IndexTensor{{1, 0}}).value(), (Tensor{{3.0f, 2.0f}}), 0, 0);
  // 3-D along the middle axis with smaller extents elsewhere and repeated positions.
  const Tensor values = random_tensor({3, 5, 4}, 5, -2.0f, 2.0f);
  const IndexTensor index = {{{4, 0, 4}, {1, 1, 2}}, {{0, 3, 3}, {2, 4, 0}}};  // [2, 2, 3]
  const Var picked = gather(tape.input(values), 1, index);
  BOOST_TEST(shape_str(picked.shape()) == "[2, 2, 3]");
  for (std::size_t i = 0; i < 2; ++i)
    for (std::size_t j = 0; j < 2; ++j)
      for (std::size_t k = 0; k < 3; ++k)
        BOOST_TEST(picked.value()(i, j, k) ==
                   values(i, static_cast<std::size_t>(index(i, j, k)), k));
  expect_gradients_match([&](std::span<const Var> in) { return gather(in[0], 1, index); },
                         {values});
  expect_gradients_match([&](std::span<const Var> in) { return gather(in[0], -2, index); },
                         {values});
}

BOOST_AUTO_TEST_CASE(index_select_takes_slices_in_the_listed_order) {
  const Tensor values = random_tensor({4, 3, 2}, 6, -2.0f, 2.0f);
  Tape tape;
  const IndexTensor rows = {3, 0, 3};
  const Var picked = index_select(tape.input(values), 0, rows);
  BOOST_TEST(shape_str(picked.shape()) == "[3, 3, 2]");
  RECUR_CHECK_CLOSE(Tensor(xt::view(picked.value(), 1)), Tensor(xt::view(values, 0)), 0, 0);
  RECUR_CHECK_CLOSE(Tensor(xt::view(picked.value(), 2)), Tensor(xt::view(values, 3)), 0, 0);
  const Var columns = index_select(tape.input(values), -2, IndexTensor{2, 1});
  BOOST_TEST(columns.value()(3, 0, 1) == values(3, 2, 1));
  for (int axis : {0, 1, 2})
    expect_gradients_match(
        [axis](std::span<const Var> in) {
          return index_select(in[0], axis, IndexTensor{1, 0, 1});
        },
        {values});
}

BOOST_AUTO_TEST_CASE(bad_indices_name_the_op_the_index_and_the_extent) {
  Tape tape;
  const Var x = tape.input(zeros({3, 4}));
  expect_error<ValueError>(
      [&] {
        gather(x, 1, IndexTensor{{0, 4}});
      },
      {"gather", "index 4", "extent 4", "[3, 4]"});
  expect_error<ValueError>([&] { gather(x, 0, indices({1, 1}, {-1})); }, {"gather", "index -1"});
  expect_error<ShapeError>([&] { gather(x, 1, IndexTensor{0, 1}); }, {"gather", "[2]", "[3, 4]"});
  expect_error<ShapeError>(
      [&] {
        gather(x, 1, indices({4, 1}, {0, 0, 0, 0}));
      },
      {"gather", "[4, 1]"});
  expect_error<ShapeError>([&] { gather(x, 2, indices({1, 1}, {0})); }, {"gather", "axis 2"});
  expect_error<ValueError>(
      [&] {
        index_select(x, 0, IndexTensor{1, 3});
      },
      {"index_select", "index 3", "position 1", "extent 3"});
  expect_error<ShapeError>(
      [&] {
        index_select(x, 0, indices({1, 1}, {1}));
      },
      {"index_select", "1-D"});
  expect_error<ShapeError>([&] { index_select(x, -3, IndexTensor{0}); },
                           {"index_select", "axis -3"});
  BOOST_TEST(tape.size() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
