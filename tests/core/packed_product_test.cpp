// The packed-weight product (core/kernels/packed_product.hpp) against OpenBLAS through gemm_raw, on
// shapes that hit every edge of its blocking: row counts around the 6- and 4-row blocks, column
// counts around the 16-column panels (and past the 4 panels a single row covers at once), an
// empty inner size, both layouts of B, and each way of adding to the product: nothing, C
// itself, or a separate D (multiply_add).
#include <boost/test/unit_test.hpp>

#include <array>
#include <cstring>
#include <vector>

#include "core/gemm.hpp"
#include "core/random.hpp"
#include "core/kernels/packed_product.hpp"
#include "support/check.hpp"
#include "support/kernel_paths.hpp"

BOOST_AUTO_TEST_SUITE(packed_product_suite)

BOOST_AUTO_TEST_CASE(packed_product_matches_gemm_on_block_edges) {
  recur::Generator gen(17);
  recur::kernels::PackedRight packed;  // reused across shapes, as the layers reuse it
  for (std::size_t m : {1, 2, 4, 5, 6, 7, 8, 12, 13, 14, 16, 20, 32, 64})
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

// The stacked operand of a recurrent step: bias + A1 op(B1) + A2 op(B2) + A3 op(B3) (+ D) against
// one gemm_raw call per part on a C that starts as the bias, with any part left out (a null A),
// with and without the bias.
BOOST_AUTO_TEST_CASE(stacked_product_matches_one_gemm_per_part_plus_the_bias) {
  recur::Generator gen(23);
  recur::kernels::PackedRight packed;
  using Sizes = std::array<std::size_t, 3>;
  for (std::size_t m : {1, 3, 4, 6, 8, 13, 32})
    for (std::size_t n : {1, 15, 16, 40, 70})
      for (const Sizes& k : {Sizes{16, 64, 0}, Sizes{1, 7, 0}, Sizes{0, 5, 0}, Sizes{5, 0, 0},
                             Sizes{3, 8, 8}})
        for (bool transpose : {false, true})
          for (int present : {7, 1, 2, 5, 6})  // bit i: A_i given
            for (bool with_bias : {true, false})
              for (bool add_d : {false, true}) {
                const std::size_t part_count = k[2] ? 3 : 2;
                BOOST_TEST_CONTEXT("m " << m << " n " << n << " k " << k[0] << "," << k[1] << ","
                                        << k[2] << " transpose " << transpose << " present "
                                        << present << " bias " << with_bias << " d " << add_d) {
                  std::vector<recur::Tensor> a, b;
                  std::vector<recur::kernels::PackedRight::Part> parts;
                  for (std::size_t i = 0; i < part_count; ++i) {
                    a.push_back(gen.uniform({m, k[i]}, -1.0f, 1.0f));
                    b.push_back(transpose ? gen.uniform({n, k[i]}, -1.0f, 1.0f)
                                          : gen.uniform({k[i], n}, -1.0f, 1.0f));
                  }
                  for (std::size_t i = 0; i < part_count; ++i) parts.push_back({b[i].data(), k[i]});
                  const recur::Tensor bias = gen.uniform({n}, -1.0f, 1.0f);
                  const recur::Tensor d = gen.uniform({m, n}, -1.0f, 1.0f);
                  recur::Tensor expected = recur::zeros({m, n});
                  for (std::size_t i = 0; i < m; ++i)
                    for (std::size_t j = 0; j < n; ++j)
                      expected(i, j) = (with_bias ? bias(j) : 0.0f) + (add_d ? d(i, j) : 0.0f);
                  std::vector<const float*> operands;
                  for (std::size_t i = 0; i < part_count; ++i) {
                    const bool given = (present >> i) & 1;
                    operands.push_back(given ? a[i].data() : nullptr);
                    if (given)
                      recur::gemm_raw(a[i].data(), false, b[i].data(), transpose, expected.data(),
                                      m, n, k[i], 1.0f, 1.0f);
                  }
                  recur::Tensor actual = recur::Tensor(expected + 1e6f);  // garbage to overwrite
                  packed.pack_stacked(parts, transpose, n, bias.data());
                  BOOST_TEST(packed.k() == k[0] + k[1] + k[2]);
                  packed.multiply_stacked(operands, m, actual.data(), add_d ? d.data() : nullptr,
                                          with_bias);
                  const std::string difference =
                      recur::test::compare(actual, expected, 1e-5, 1e-5);
                  BOOST_TEST(difference.empty(), difference);
                }
              }
}

// A team member computes a share of the columns: those columns come out bit for bit as in the
// whole product, and the others are not touched.
BOOST_AUTO_TEST_CASE(a_share_of_the_columns_is_bitwise_the_whole_products) {
  recur::Generator gen(29);
  recur::kernels::PackedRight packed;
  for (std::size_t m : {1, 3, 4, 6, 13})
    for (const auto [n, first, last] : {std::array<std::size_t, 3>{64, 16, 48},
                                        {70, 32, 70}, {128, 0, 64}, {96, 64, 96}}) {
      BOOST_TEST_CONTEXT("m " << m << " n " << n << " columns " << first << ".." << last) {
        const std::size_t k = 37;
        const recur::Tensor a = gen.uniform({m, k}, -1.0f, 1.0f);
        const recur::Tensor b = gen.uniform({n, k}, -1.0f, 1.0f);
        recur::Tensor whole = recur::zeros({m, n});
        recur::Tensor part = recur::full({m, n}, 7.0f);
        packed.pack(b.data(), true, k, n);
        packed.multiply(a.data(), m, whole.data(), false);
        packed.multiply(a.data(), m, part.data(), false, {first, last});
        for (std::size_t i = 0; i < m; ++i)
          for (std::size_t j = 0; j < n; ++j) {
            const bool inside = j >= first && j < last;
            const float expected = inside ? whole(i, j) : 7.0f;
            BOOST_TEST(std::memcmp(&part(i, j), &expected, sizeof(float)) == 0,
                       "element " << i << ", " << j << ": " << part(i, j) << " vs " << expected);
          }
      }
    }
}

// Where the CPU has AVX-512, pairs of full panels, and a lone row's up to 8 panels, run in its
// registers: every element must come out bitwise as from the AVX2 blocks (one FMA chain over k
// in order, bias first, D last), on column counts that leave an odd panel or a partial one, that
// pass 8 panels (n 150: 10, the last of 6 columns), and on a share of the columns that starts at
// an odd panel.
BOOST_AUTO_TEST_CASE(the_avx512_path_is_bitwise_the_avx2_one) {
  if (!recur::test::has_both_kernel_paths()) return;
  const recur::test::WideKernelsRestored restored;
  recur::Generator gen(37);
  recur::kernels::PackedRight packed;
  for (std::size_t m : {1, 2, 5, 6, 7, 13, 32})
    for (std::size_t n : {32, 40, 48, 64, 70, 150})
      for (std::size_t first : {0, 16})
        for (bool add_d : {false, true}) {
          BOOST_TEST_CONTEXT("m " << m << " n " << n << " from column " << first << " d "
                                  << add_d) {
            const std::size_t k1 = 37, k2 = 64;
            const recur::Tensor a1 = gen.uniform({m, k1}, -1.0f, 1.0f);
            const recur::Tensor a2 = gen.uniform({m, k2}, -1.0f, 1.0f);
            const recur::Tensor b1 = gen.uniform({n, k1}, -1.0f, 1.0f);
            const recur::Tensor b2 = gen.uniform({n, k2}, -1.0f, 1.0f);
            const recur::Tensor bias = gen.uniform({n}, -1.0f, 1.0f);
            const recur::Tensor d = gen.uniform({m, n}, -1.0f, 1.0f);
            const std::array<recur::kernels::PackedRight::Part, 2> parts{
                {{b1.data(), k1}, {b2.data(), k2}}};
            packed.pack_stacked(parts, true, n, bias.data());
            const std::array<const float*, 2> operands{a1.data(), a2.data()};
            recur::Tensor narrow = recur::full({m, n}, 7.0f), wide = narrow;
            recur::kernels::set_wide_kernels(false);
            packed.multiply_stacked(operands, m, narrow.data(), add_d ? d.data() : nullptr, true,
                                    {first, n});
            recur::kernels::set_wide_kernels(true);
            BOOST_TEST(recur::kernels::wide_kernels());
            packed.multiply_stacked(operands, m, wide.data(), add_d ? d.data() : nullptr, true,
                                    {first, n});
            BOOST_TEST(std::memcmp(narrow.data(), wide.data(), m * n * sizeof(float)) == 0);
          }
        }
}

BOOST_AUTO_TEST_SUITE_END()
