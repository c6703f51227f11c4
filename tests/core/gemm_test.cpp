// recur::gemm against a naive triple loop in double, every transpose combination and path.
#include <boost/test/unit_test.hpp>

#include "core/error.hpp"
#include "core/gemm.hpp"
#include "core/random.hpp"
#include "support/check.hpp"

using namespace recur;

namespace {

Tensor random_matrix(std::size_t rows, std::size_t cols, std::uint64_t seed) {
  Generator gen(seed);
  return gen.uniform({rows, cols}, -1.0f, 1.0f);
}

// alpha * op(A) op(B) + beta * C, one element at a time in double.
Tensor naive_gemm(const Tensor& a, bool transpose_a, const Tensor& b, bool transpose_b,
                  const Tensor& c, float alpha, float beta) {
  const std::size_t m = transpose_a ? a.shape(1) : a.shape(0);
  const std::size_t k = transpose_a ? a.shape(0) : a.shape(1);
  const std::size_t n = transpose_b ? b.shape(0) : b.shape(1);
  Tensor result(Shape{m, n});
  for (std::size_t i = 0; i < m; ++i)
    for (std::size_t j = 0; j < n; ++j) {
      double sum = 0;
      for (std::size_t p = 0; p < k; ++p)
        sum += double(transpose_a ? a(p, i) : a(i, p)) * double(transpose_b ? b(j, p) : b(p, j));
      result(i, j) = static_cast<float>(alpha * sum + beta * double(c(i, j)));
    }
  return result;
}

// Checks gemm for op(A): [m, k], op(B): [k, n] with the given flags and scalars.
void check_gemm(std::size_t m, std::size_t n, std::size_t k, bool transpose_a, bool transpose_b,
                float alpha, float beta) {
  const Tensor a = transpose_a ? random_matrix(k, m, 1) : random_matrix(m, k, 1);
  const Tensor b = transpose_b ? random_matrix(n, k, 2) : random_matrix(k, n, 2);
  Tensor c = random_matrix(m, n, 3);
  const Tensor expected = naive_gemm(a, transpose_a, b, transpose_b, c, alpha, beta);
  gemm(a, transpose_a, b, transpose_b, c, alpha, beta);
  BOOST_TEST_CONTEXT("m=" << m << " n=" << n << " k=" << k << " transpose_a=" << transpose_a
                          << " transpose_b=" << transpose_b << " alpha=" << alpha << " beta=" << beta) {
    RECUR_CHECK_CLOSE(c, expected, 1e-5, 1e-5);
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(gemm_suite)

BOOST_AUTO_TEST_CASE(all_transpose_combinations_match_naive_product) {
  for (bool transpose_a : {false, true})
    for (bool transpose_b : {false, true}) {
      check_gemm(7, 5, 3, transpose_a, transpose_b, 1.0f, 0.0f);
      check_gemm(33, 70, 65, transpose_a, transpose_b, 0.5f, 0.0f);
    }
}

BOOST_AUTO_TEST_CASE(beta_one_accumulates_into_the_result) {
  for (bool transpose_a : {false, true})
    for (bool transpose_b : {false, true}) check_gemm(6, 4, 9, transpose_a, transpose_b, 1.0f, 1.0f);
  // Two accumulating calls add both products: C = A B + A B.
  const Tensor a = random_matrix(3, 4, 5), b = random_matrix(4, 2, 6);
  Tensor c = zeros({3, 2});
  gemm(a, false, b, false, c, 1.0f, 1.0f);
  gemm(a, false, b, false, c, 1.0f, 1.0f);
  RECUR_CHECK_CLOSE(c, naive_gemm(a, false, b, false, zeros({3, 2}), 2.0f, 0.0f), 1e-5, 1e-6);
}

BOOST_AUTO_TEST_CASE(single_row_uses_gemv_with_and_without_transposed_b) {
  for (bool transpose_b : {false, true}) {
    check_gemm(1, 300, 256, false, transpose_b, 1.0f, 0.0f);
    check_gemm(1, 17, 5, false, transpose_b, 2.0f, 1.0f);
  }
  // A transposed single row goes through sgemm instead.
  check_gemm(1, 9, 4, true, false, 1.0f, 1.0f);
  check_gemm(1, 9, 4, true, true, 1.0f, 0.0f);
}

BOOST_AUTO_TEST_CASE(empty_inner_dimension_gives_beta_times_c) {
  const Tensor a = zeros({3, 0}), b = zeros({0, 2});
  Tensor c = full({3, 2}, 4.0f);
  gemm(a, false, b, false, c, 1.0f, 0.5f);
  RECUR_CHECK_CLOSE(c, full({3, 2}, 2.0f), 0, 0);
  gemm(a, false, b, false, c);
  RECUR_CHECK_CLOSE(c, zeros({3, 2}), 0, 0);
}

BOOST_AUTO_TEST_CASE(shape_errors_name_the_op_and_shapes) {
  const Tensor a = zeros({2, 3}), b = zeros({4, 5});
  Tensor c = zeros({2, 5});
  const auto message_of = [](auto&& call) {
    try {
      call();
    } catch (const ShapeError& error) {
      return std::string(error.what());
    }
    return std::string("no ShapeError");
  };
  BOOST_TEST(message_of([&] { gemm(a, false, b, false, c, 1.0f, 0.0f, "linear"); }) ==
             "linear: cannot multiply [2, 3] by [4, 5]");
  BOOST_TEST(message_of([&] { gemm(a, true, b, false, c); }) ==
             "gemm: cannot multiply [2, 3]^T by [4, 5]");
  Tensor wrong = zeros({2, 4});
  BOOST_TEST(message_of([&] { gemm(a, false, zeros({3, 5}), false, wrong, 1.0f, 0.0f, "matmul"); }) ==
             "matmul: the result should be [2, 5] but is [2, 4]");
  Tensor vector_c = zeros({5});
  BOOST_TEST(message_of([&] { gemm(a, false, b, false, vector_c, 1.0f, 0.0f, "matmul"); })
                 .starts_with("matmul: expected 2-D operands"));
}

BOOST_AUTO_TEST_CASE(thread_count_can_be_set) {
  const int before = num_threads();
  set_num_threads(1);
  BOOST_TEST(num_threads() == 1);
  set_num_threads(before);
  BOOST_CHECK_THROW(set_num_threads(0), ValueError);
}

BOOST_AUTO_TEST_SUITE_END()
