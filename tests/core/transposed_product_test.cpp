// The step-by-step weight-gradient product (core/kernels/transposed_product.hpp) against OpenBLAS
// through gemm_raw: row counts around the 6- and 4-row tiles, column counts around the 16-column
// tiles (the masked last tile), strides wider than the rows, and an empty inner size; and the
// AVX-512 tiles bitwise against the AVX2 ones.
#include <boost/test/unit_test.hpp>

#include <cstring>

#include "core/gemm.hpp"
#include "core/random.hpp"
#include "core/kernels/packed_product.hpp"
#include "core/kernels/transposed_product.hpp"
#include "support/check.hpp"
#include "support/kernel_paths.hpp"

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

// Where the CPU has AVX-512, tiles of up to 12 rows x 32 columns run in its registers: every
// element must come out bitwise as from the AVX2 tiles (one FMA chain over k in order from C's
// value), on row counts around 6 and 12 and column counts around 16 and 32 (masked last tiles),
// in both loop orders (n <= m and n > m).
BOOST_AUTO_TEST_CASE(the_avx512_path_is_bitwise_the_avx2_one) {
  if (!recur::test::has_both_kernel_paths()) return;
  const recur::test::WideKernelsRestored restored;
  recur::Generator gen(31);
  for (std::size_t m : {1, 5, 7, 12, 13, 25, 256})
    for (std::size_t n : {1, 9, 16, 17, 32, 40, 80})
      for (std::size_t k : {1, 7, 64}) {
        BOOST_TEST_CONTEXT("m " << m << " n " << n << " k " << k) {
          const std::size_t pad = 3;
          const recur::Tensor a = gen.uniform({k, m + pad}, -1.0f, 1.0f);
          const recur::Tensor b = gen.uniform({k, n + pad}, -1.0f, 1.0f);
          recur::Tensor narrow = gen.uniform({m, n}, -1.0f, 1.0f), wide = narrow;
          recur::kernels::set_wide_kernels(false);
          recur::kernels::add_transposed_product(a.data(), m + pad, b.data(), n + pad, k, m, n,
                                                    narrow.data(), n);
          recur::kernels::set_wide_kernels(true);
          BOOST_TEST(recur::kernels::wide_kernels());
          recur::kernels::add_transposed_product(a.data(), m + pad, b.data(), n + pad, k, m, n,
                                                    wide.data(), n);
          BOOST_TEST(std::memcmp(narrow.data(), wide.data(), m * n * sizeof(float)) == 0);
        }
      }
}

BOOST_AUTO_TEST_SUITE_END()
