// The packed-weight product (layers/packed_gemm.hpp) against OpenBLAS through gemm_raw, on
// shapes that hit every edge of its blocking: row counts around the 6- and 4-row blocks, column
// counts around the 16-column panels, an empty inner size, both layouts of B, and each way of
// adding to the product: nothing, C itself, or a separate D (multiply_add).
#include <boost/test/unit_test.hpp>

#include "core/gemm.hpp"
#include "core/random.hpp"
#include "layers/packed_gemm.hpp"
#include "support/check.hpp"

BOOST_AUTO_TEST_SUITE(packed_gemm_suite)

BOOST_AUTO_TEST_CASE(packed_product_matches_gemm_on_block_edges) {
  recur::Generator gen(17);
  recur::nn::detail::PackedRight packed;  // reused across shapes, as the layers reuse it
  for (std::size_t m : {1, 2, 4, 5, 6, 7, 8, 12, 13, 32, 64})
    for (std::size_t n : {1, 8, 15, 16, 17, 40})
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

BOOST_AUTO_TEST_SUITE_END()
