// The packed-weight product (layers/packed_gemm.hpp) against OpenBLAS through gemm_raw, on
// shapes that hit every edge of its blocking: row counts around the 6- and 4-row blocks, column
// counts around the 16-column panels (and past the 4 panels a single row covers at once), an
// empty inner size, both layouts of B, and each way of adding to the product: nothing, C
// itself, or a separate D (multiply_add).
#include <boost/test/unit_test.hpp>

#include <array>

#include "core/gemm.hpp"
#include "core/random.hpp"
#include "layers/packed_gemm.hpp"
#include "support/check.hpp"

BOOST_AUTO_TEST_SUITE(packed_gemm_suite)

BOOST_AUTO_TEST_CASE(packed_product_matches_gemm_on_block_edges) {
  recur::Generator gen(17);
  recur::nn::detail::PackedRight packed;  // reused across shapes, as the layers reuse it
  for (std::size_t m : {1, 2, 4, 5, 6, 7, 8, 12, 13, 32, 64})
    for (std::size_t n : {1, 8, 15, 16, 17, 40, 70})
      for (std::size_t k : {0, 1, 7, 64})
        for (bool transpose : {false, true})
          for (const char* addend : {"none", "c", "d"}) {
            BOOST_TEST_CONTEXT("m " << m << " n " << n << " k " << k << " transpose "
                                    << transpose << " addend " << addend) {
              const bool accumulate = addend[0] != 'n', separate = addend[0] == 'd';
              const recur::Tensor a = gen.uniform({m, k}, -1.0f, 1.0f);
              const recur::Tensor b = transpose ? gen.uniform({n, k}, -1.0f, 1.0f)
                                                : gen.uniform({k, n}, -1.0f, 1.0f);
              const recur::Tensor start = gen.uniform({m, n}, -1.0f, 1.0f);
              // With a separate D, C starts as garbage that must be overwritten, not added to.
              recur::Tensor expected = start, actual = separate ? recur::Tensor(start + 1e6f) : start;
              recur::gemm_raw(a.data(), false, b.data(), transpose, expected.data(), m, n, k,
                              1.0f, accumulate ? 1.0f : 0.0f);
              packed.pack(b.data(), transpose, k, n);
              BOOST_TEST(packed.k() == k);
              BOOST_TEST(packed.n() == n);
              if (separate) packed.multiply_add(a.data(), m, start.data(), actual.data());
              else packed.multiply(a.data(), m, actual.data(), accumulate);
              const std::string difference = recur::test::compare(actual, expected, 1e-5, 1e-5);
              BOOST_TEST(difference.empty(), difference);
            }
          }
}

// The stacked operand of a recurrent step: bias + A1 op(B1) + A2 op(B2) against two gemm_raw
// calls on a C that starts as the bias, with either part left out (a null A).
BOOST_AUTO_TEST_CASE(stacked_product_matches_two_gemms_plus_the_bias) {
  recur::Generator gen(23);
  recur::nn::detail::PackedRight packed;
  for (std::size_t m : {1, 3, 4, 6, 8, 13, 32})
    for (std::size_t n : {1, 15, 16, 40, 70})
      for (const auto [k1, k2] : {std::array<std::size_t, 2>{16, 64}, {1, 7}, {0, 5}, {5, 0}})
        for (bool transpose : {false, true})
          for (int parts : {3, 1, 2}) {  // bit 0: A1 given, bit 1: A2 given
            BOOST_TEST_CONTEXT("m " << m << " n " << n << " k1 " << k1 << " k2 " << k2
                                    << " transpose " << transpose << " parts " << parts) {
              const recur::Tensor a1 = gen.uniform({m, k1}, -1.0f, 1.0f);
              const recur::Tensor a2 = gen.uniform({m, k2}, -1.0f, 1.0f);
              const recur::Tensor b1 = transpose ? gen.uniform({n, k1}, -1.0f, 1.0f)
                                                 : gen.uniform({k1, n}, -1.0f, 1.0f);
              const recur::Tensor b2 = transpose ? gen.uniform({n, k2}, -1.0f, 1.0f)
                                                 : gen.uniform({k2, n}, -1.0f, 1.0f);
              const recur::Tensor bias = gen.uniform({n}, -1.0f, 1.0f);
              recur::Tensor expected = recur::zeros({m, n});
              for (std::size_t i = 0; i < m; ++i)
                for (std::size_t j = 0; j < n; ++j) expected(i, j) = bias(j);
              if (parts & 1)
                recur::gemm_raw(a1.data(), false, b1.data(), transpose, expected.data(), m, n, k1,
                                1.0f, 1.0f);
              if (parts & 2)
                recur::gemm_raw(a2.data(), false, b2.data(), transpose, expected.data(), m, n, k2,
                                1.0f, 1.0f);
              recur::Tensor actual = recur::Tensor(expected + 1e6f);  // garbage to overwrite
              packed.pack_stacked(b1.data(), k1, b2.data(), k2, transpose, n, bias.data());
              BOOST_TEST(packed.k() == k1 + k2);
              packed.multiply_pair((parts & 1) ? a1.data() : nullptr,
                                   (parts & 2) ? a2.data() : nullptr, m, actual.data());
              const std::string difference = recur::test::compare(actual, expected, 1e-5, 1e-5);
              BOOST_TEST(difference.empty(), difference);
            }
          }
}

BOOST_AUTO_TEST_SUITE_END()
