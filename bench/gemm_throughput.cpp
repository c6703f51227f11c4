// GFLOP/s of recur::gemm on the shape of an LSTM's input projection for one step:
// [32 x 256] by [256 x 1024] float32 (batch 32, input 256, four gates of 256), of the packed
// recurrent product on the same shape, and the core's peak: AVX2 fused multiply-adds with no
// memory traffic at all, the ceiling none of recur's kernels can pass (what a ratio target
// against PyTorch needs is judged against it in docs/performance.md). On a CPU with AVX-512 it
// also prints that peak, about twice the AVX2 one: recur's packed product and OpenBLAS use it
// there, so it is the ceiling on such a CPU.
//
// Then the peak of several cores running the same FMAs at once (every core by default), AVX2
// and, where the CPU has it, AVX-512.
//
//   OPENBLAS_NUM_THREADS=1 ./build/bench/gemm_throughput [seconds] [cores]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "core/gemm.hpp"
#include "core/random.hpp"
#include "core/kernels/packed_product.hpp"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace {

using Clock = std::chrono::steady_clock;

// Best-of-rounds GFLOP/s for C = op(A) op(B) (+ C when accumulate), each round ~1/5 of `seconds`.
double measure(const recur::Tensor& a, bool transpose_a, const recur::Tensor& b, bool transpose_b,
               recur::Tensor& c, bool accumulate, double seconds) {
  const double m = static_cast<double>(c.shape(0)), n = static_cast<double>(c.shape(1));
  const double k = static_cast<double>(transpose_a ? a.shape(0) : a.shape(1));
  const double flops = 2.0 * m * n * k;
  for (int i = 0; i < 20; ++i) recur::gemm(a, transpose_a, b, transpose_b, c, 1.0f, accumulate ? 1.0f : 0.0f);
  double best = 0;
  for (int round = 0; round < 5; ++round) {
    long calls = 0;
    const auto start = Clock::now();
    double elapsed = 0;
    do {
      for (int i = 0; i < 10; ++i)
        recur::gemm(a, transpose_a, b, transpose_b, c, 1.0f, accumulate ? 1.0f : 0.0f);
      calls += 10;
      elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    } while (elapsed < seconds / 5);
    best = std::max(best, flops * static_cast<double>(calls) / elapsed / 1e9);
  }
  return best;
}

#if defined(__AVX2__) && defined(__FMA__)
// `repeats` rounds of 12 independent 8-wide FMA chains (enough to cover the FMA latency on two
// pipes). No calls inside, so g++ keeps the twelve accumulators in registers.
__attribute__((noinline)) void fma_chains(__m256 (&acc)[12], long repeats) {
  __m256 a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3], a4 = acc[4], a5 = acc[5];
  __m256 a6 = acc[6], a7 = acc[7], a8 = acc[8], a9 = acc[9], a10 = acc[10], a11 = acc[11];
  const __m256 mul = _mm256_set1_ps(0.999999f), add = _mm256_set1_ps(1e-6f);
  for (long r = 0; r < repeats; ++r) {
    a0 = _mm256_fmadd_ps(a0, mul, add);
    a1 = _mm256_fmadd_ps(a1, mul, add);
    a2 = _mm256_fmadd_ps(a2, mul, add);
    a3 = _mm256_fmadd_ps(a3, mul, add);
    a4 = _mm256_fmadd_ps(a4, mul, add);
    a5 = _mm256_fmadd_ps(a5, mul, add);
    a6 = _mm256_fmadd_ps(a6, mul, add);
    a7 = _mm256_fmadd_ps(a7, mul, add);
    a8 = _mm256_fmadd_ps(a8, mul, add);
    a9 = _mm256_fmadd_ps(a9, mul, add);
    a10 = _mm256_fmadd_ps(a10, mul, add);
    a11 = _mm256_fmadd_ps(a11, mul, add);
  }
  acc[0] = a0, acc[1] = a1, acc[2] = a2, acc[3] = a3, acc[4] = a4, acc[5] = a5;
  acc[6] = a6, acc[7] = a7, acc[8] = a8, acc[9] = a9, acc[10] = a10, acc[11] = a11;
}
#endif

// GFLOP/s of one round of register-only FMAs on this thread, for about `seconds`.
double fma_round(double seconds) {
#if defined(__AVX2__) && defined(__FMA__)
  __m256 acc[12];
  for (int i = 0; i < 12; ++i) acc[i] = _mm256_set1_ps(static_cast<float>(i));
  long repeats = 0;
  const auto start = Clock::now();
  double elapsed = 0;
  do {
    fma_chains(acc, 100000);
    repeats += 100000;
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  } while (elapsed < seconds);
  float sink[8];
  _mm256_storeu_ps(sink, acc[0]);
  if (sink[0] == 12345.0f) std::printf(" ");  // keeps the chains alive
  return 12.0 * 8 * 2 * static_cast<double>(repeats) / elapsed / 1e9;
#else
  (void)seconds;
  return 0;
#endif
}

#if defined(__x86_64__)
// The same chains 16 wide, on a CPU with AVX-512: recur is built for AVX2 (x86-64-v3), but its
// packed product and OpenBLAS switch to AVX-512 where the CPU has it, about twice the AVX2 rate.
__attribute__((target("avx512f"), noinline)) double fma_round_avx512(double seconds) {
  __m512 a0 = _mm512_set1_ps(0.0f), a1 = _mm512_set1_ps(1.0f), a2 = _mm512_set1_ps(2.0f);
  __m512 a3 = _mm512_set1_ps(3.0f), a4 = _mm512_set1_ps(4.0f), a5 = _mm512_set1_ps(5.0f);
  __m512 a6 = _mm512_set1_ps(6.0f), a7 = _mm512_set1_ps(7.0f), a8 = _mm512_set1_ps(8.0f);
  __m512 a9 = _mm512_set1_ps(9.0f), a10 = _mm512_set1_ps(10.0f), a11 = _mm512_set1_ps(11.0f);
  const __m512 mul = _mm512_set1_ps(0.999999f), add = _mm512_set1_ps(1e-6f);
  long repeats = 0;
  const auto start = Clock::now();
  double elapsed = 0;
  do {
    for (int r = 0; r < 100000; ++r) {
      a0 = _mm512_fmadd_ps(a0, mul, add), a1 = _mm512_fmadd_ps(a1, mul, add);
      a2 = _mm512_fmadd_ps(a2, mul, add), a3 = _mm512_fmadd_ps(a3, mul, add);
      a4 = _mm512_fmadd_ps(a4, mul, add), a5 = _mm512_fmadd_ps(a5, mul, add);
      a6 = _mm512_fmadd_ps(a6, mul, add), a7 = _mm512_fmadd_ps(a7, mul, add);
      a8 = _mm512_fmadd_ps(a8, mul, add), a9 = _mm512_fmadd_ps(a9, mul, add);
      a10 = _mm512_fmadd_ps(a10, mul, add), a11 = _mm512_fmadd_ps(a11, mul, add);
    }
    repeats += 100000;
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  } while (elapsed < seconds);
  const __m512 all = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)),
                                   _mm512_add_ps(_mm512_add_ps(a4, a5), _mm512_add_ps(a6, a7)));
  float sink[16];
  _mm512_storeu_ps(sink, _mm512_add_ps(all, _mm512_add_ps(_mm512_add_ps(a8, a9),
                                                          _mm512_add_ps(a10, a11))));
  if (sink[0] == 12345.0f) std::printf(" ");  // keeps the chains alive
  return 12.0 * 16 * 2 * static_cast<double>(repeats) / elapsed / 1e9;
}
#endif

bool has_avx512() {
#if defined(__x86_64__)
  return __builtin_cpu_supports("avx512f");
#else
  return false;
#endif
}

// Peak float32 GFLOP/s of `cores` cores running FMAs on registers at the same time (their sum),
// best of 5 rounds. With every core busy the host may clock them lower than one alone, so a
// share of "two cores' peak" is measured against two at once, not twice one.
// `wide`: AVX-512 FMAs instead of AVX2 (only where has_avx512()).
double fma_peak(double seconds, unsigned cores, bool wide = false) {
  const auto one_round = [wide](double length) {
#if defined(__x86_64__)
    if (wide) return fma_round_avx512(length);
#endif
    return fma_round(length);
  };
  double best = 0;
  for (int round = 0; round < 5; ++round) {
    std::vector<double> rates(cores);
    std::vector<std::thread> others;
    for (unsigned i = 1; i < cores; ++i)
      others.emplace_back([&rates, &one_round, i, seconds] { rates[i] = one_round(seconds / 5); });
    rates[0] = one_round(seconds / 5);
    for (std::thread& other : others) other.join();
    double total = 0;
    for (double rate : rates) total += rate;
    best = std::max(best, total);
  }
  return best;
}

// GFLOP/s of the packed recurrent product (core/kernels/packed_product.hpp) on [m x k] by [k x n].
double packed_product(const recur::Tensor& a, const recur::Tensor& b, recur::Tensor& c,
                      double seconds) {
  recur::kernels::PackedRight packed;
  const std::size_t m = a.shape(0), k = a.shape(1), n = b.shape(1);
  packed.pack(b.data(), false, k, n);
  double best = 0;
  for (int round = 0; round < 5; ++round) {
    long calls = 0;
    const auto start = Clock::now();
    double elapsed = 0;
    do {
      for (int i = 0; i < 10; ++i) packed.multiply(a.data(), m, c.data(), true);
      calls += 10;
      elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    } while (elapsed < seconds / 5);
    best = std::max(best, 2.0 * m * n * k * static_cast<double>(calls) / elapsed / 1e9);
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 2.0;
  const unsigned cores = argc > 2 ? static_cast<unsigned>(std::atoi(argv[2]))
                                  : std::max(1u, std::thread::hardware_concurrency());
  const char* env_threads = std::getenv("OPENBLAS_NUM_THREADS");
  std::printf("OpenBLAS kernels: %s (OPENBLAS_CORETYPE picks others)\n", recur::blas_core().c_str());
  std::printf("OpenBLAS threads: %d (OPENBLAS_NUM_THREADS=%s)\n", recur::num_threads(),
              env_threads ? env_threads : "unset");

  recur::Generator gen(1);
  const std::size_t batch = 32, input = 256, gates = 1024;
  const recur::Tensor x = gen.uniform({batch, input}, -1.0f, 1.0f);        // [B, I]
  const recur::Tensor w = gen.uniform({input, gates}, -0.1f, 0.1f);        // [I, G]
  const recur::Tensor w_t = gen.uniform({gates, input}, -0.1f, 0.1f);      // [G, I], torch's layout
  const recur::Tensor x1 = gen.uniform({1, input}, -1.0f, 1.0f);           // [1, I]
  recur::Tensor y = recur::zeros({batch, gates});
  recur::Tensor y1 = recur::zeros({1, gates});

  std::printf("%-44s %8.2f GFLOP/s\n", "[32x256] x [256x1024]",
              measure(x, false, w, false, y, false, seconds));
  std::printf("%-44s %8.2f GFLOP/s\n", "[32x256] x [1024x256]^T (Linear layout)",
              measure(x, false, w_t, true, y, false, seconds));
  std::printf("%-44s %8.2f GFLOP/s\n", "[32x256] x [256x1024], beta = 1",
              measure(x, false, w, false, y, true, seconds));
  std::printf("%-44s %8.2f GFLOP/s\n", "[1x256] x [256x1024] (gemv path)",
              measure(x1, false, w, false, y1, false, seconds));
  std::printf("%-44s %8.2f GFLOP/s\n", "[32x256] x [256x1024], packed recurrent product",
              packed_product(x, w, y, seconds));
  std::printf("%-44s %8.2f GFLOP/s\n", "core peak (register-only AVX2 FMAs)",
              fma_peak(seconds, 1));
  if (has_avx512())
    std::printf("%-44s %8.2f GFLOP/s\n", "core peak (register-only AVX-512 FMAs)",
                fma_peak(seconds, 1, true));
  if (cores > 1)
    std::printf("%-44s %8.2f GFLOP/s\n",
                ("peak of " + std::to_string(cores) + " cores at once").c_str(),
                fma_peak(seconds, cores));
  if (cores > 1 && has_avx512())
    std::printf("%-44s %8.2f GFLOP/s\n",
                ("AVX-512 peak of " + std::to_string(cores) + " cores at once").c_str(),
                fma_peak(seconds, cores, true));
  return 0;
}
