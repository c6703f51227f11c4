// GFLOP/s of recur::gemm on the shape of an LSTM's input projection for one step:
// [32 x 256] by [256 x 1024] float32 (batch 32, input 256, four gates of 256).
//
//   OPENBLAS_NUM_THREADS=1 ./build/bench/gemm_throughput [seconds]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "core/gemm.hpp"
#include "core/random.hpp"

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

}  // namespace

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 2.0;
  const char* env_threads = std::getenv("OPENBLAS_NUM_THREADS");
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
  return 0;
}
