// For tests that compare the AVX2 kernels with the AVX-512 ones (core/kernels/packed_product.hpp,
// transposed_product.hpp): whether this build and CPU have both, and the setting put back after.
#pragma once

#include <boost/test/unit_test.hpp>

#include "core/kernels/packed_product.hpp"

namespace recur::test {

/// True where the build has the AVX2 kernels and the CPU AVX-512F, so both paths can run; else
/// logs why not and returns false (the comparing test then has nothing to compare).
inline bool has_both_kernel_paths() {
#if defined(__AVX2__) && defined(__FMA__)
  const bool avx512 = __builtin_cpu_supports("avx512f");
#else
  const bool avx512 = false;  // a portable build has neither path
#endif
  if (!avx512) BOOST_TEST_MESSAGE("no AVX-512 on this CPU, or a build without AVX2: one path only");
  return avx512;
}

/// Puts kernels::wide_kernels() back as it was when this goes out of scope.
class WideKernelsRestored {
 public:
  WideKernelsRestored() : before_(kernels::wide_kernels()) {}
  ~WideKernelsRestored() { kernels::set_wide_kernels(before_); }
  WideKernelsRestored(const WideKernelsRestored&) = delete;
  WideKernelsRestored& operator=(const WideKernelsRestored&) = delete;

 private:
  bool before_;
};

}  // namespace recur::test
