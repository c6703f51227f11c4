// The step-by-step weight-gradient product (core/kernels/transposed_product.hpp) against OpenBLAS
// through gemm_raw: row counts around the 6- and 4-row tiles, column counts around the 16-column
// tiles (the masked last tile), strides wider than the rows, and an empty inner size.
#include <boost/test/unit_test.hpp>

#include "core/gemm.hpp"
#include "core/random.hpp"
#include "core/kernels/transposed_product.hpp"
#include "support/check.hpp"

BOOST_AUTO_TEST_SUITE(transposed_product_suite)

BOOST_AUTO_TEST_CASE(transposed_product_adds_a_transpose_times_b_like_gemm) {
  recur::Generator gen(29);
  for (std::size_t m : {1, 2, 3, 4, 6, 7, 8, 12, 13, 14, 16, 128, 256})
    for (std::size_t n : {1, 5, 8, 9, 16, 17, 40, 64})
      for (std::size_t k : {0, 1, 7, 64})
        for (std::size_t pad : {0, 3}) {  // extra floats per row of A and B (strided views)
          BOOST_TEST_CONTEXT("m " << m << " n " << n << " k " << k << " pad " << pad) {
            const recur::Tensor a = gen.uniform({k, m + pad}, -1.0f, 1.0f);
            const recur::Tensor b = gen.uniform({k, n + pad}, -1.0f, 1.0f);
            const recur::Tensor start = gen.uniform({m, n}, -1.0f, 1.0f);
            // The reference on the unpadded parts.
            recur::Tensor a_part = recur::zeros({k, m}), b_part = recur::zeros({k, n});
            for (std::size_t p = 0; p < k; ++p) {
              for (std::size_t i = 0; i < m; ++i) a_part(p, i) = a(p, i);
              for (std::size_t j = 0; j < n; ++j) b_part(p, j) = b(p, j);
            }
            recur::Tensor expected = start, actual = start;
            recur::gemm_raw(a_part.data(), true, b_part.data(), false, expected.data(), m, n, k,
                            1.0f, 1.0f);
            recur::kernels::add_transposed_product(a.data(), m + pad, b.data(), n + pad, k, m,
                                                      n, actual.data(), n);
            const std::string difference = recur::test::compare(actual, expected, 1e-5, 1e-5);
            BOOST_TEST(difference.empty(), difference);
          }
        }
}

BOOST_AUTO_TEST_SUITE_END()
