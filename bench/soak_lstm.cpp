// Soak: trains a small LSTM for many steps in one process and prints resident memory (from
// /proc/self/statm) as it goes; after warm-up it must stay flat, since the tape reuses its
// buffers. Then one backward through a very long sequence, with the memory it took.
//   soak_lstm [steps=20000] [long_sequence=100000]
// Exits 1 if resident memory grew by more than 1 MiB between the end of warm-up and the end.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include <xtensor/xnoalias.hpp>

#include "autograd/ops/linalg.hpp"
#include "autograd/ops/losses.hpp"
#include "autograd/ops/shape_ops.hpp"
#include "autograd/ops/reductions.hpp"
#include "autograd/tape.hpp"
#include "core/random.hpp"
#include "layers/lstm.hpp"

using namespace recur;

namespace {

// Resident set size in KiB.
long resident_kib() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * (::sysconf(_SC_PAGESIZE) / 1024);
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// SGD on every parameter of `lstm` and `head`, then zero their gradients.
void sgd_step(nn::LSTM& lstm, Parameter& head, float lr) {
  auto update = [lr](Parameter& p) {
    xt::noalias(p.value) -= lr * p.grad;
    p.bump_version();
    p.zero_grad();
  };
  for (Parameter* p : lstm.parameters()) update(*p);
  update(head);
}

}  // namespace

int main(int argc, char** argv) {
  const int steps = argc > 1 ? std::atoi(argv[1]) : 20000;
  const std::size_t long_len = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 100000;
  const std::size_t T = 16, B = 8, I = 8, H = 32;
  manual_seed(1);
  nn::LSTM lstm({.input_size = I, .hidden_size = H});
  Parameter head(default_generator().uniform({1, H}, -0.2f, 0.2f));
  Generator data(2);
  Tape tape;

  const int warmup = std::min(1000, steps / 10);
  long after_warmup = 0, peak_after_warmup = 0;
  float loss_value = 0;
  const auto start = std::chrono::steady_clock::now();
  std::printf("step,resident_kib,tape_bytes,loss\n");
  for (int step = 1; step <= steps; ++step) {
    tape.clear();
    Var x = tape.input(data.normal({T, B, I}, 0.0f, 1.0f));
    Var y = tape.input(data.normal({B, 1}, 0.0f, 1.0f));
    Var last = select(lstm(x).output, 0, T - 1);               // [B, H]
    Var loss = mse_loss(matmul(last, tape.parameter(head), false, true), y);
    tape.backward(loss);
    sgd_step(lstm, head, 0.01f);
    loss_value = loss.value().data()[0];
    const long resident = resident_kib();
    if (step == warmup) after_warmup = resident;
    if (step > warmup) peak_after_warmup = std::max(peak_after_warmup, resident);
    if (step % 1000 == 0 || step == 1)
      std::printf("%d,%ld,%zu,%.4f\n", step, resident, tape.memory_bytes(), loss_value);
  }
  const double train_seconds = seconds_since(start);
  const long growth = peak_after_warmup - after_warmup;
  std::printf("# %d steps in %.1f s (%.3f ms/step); resident after warm-up (%d steps) %ld KiB, "
              "peak after %ld KiB, growth %ld KiB\n",
              steps, train_seconds, 1e3 * train_seconds / steps, warmup, after_warmup,
              peak_after_warmup, growth);

  // One backward through a long sequence: a tiny LSTM (I = 1, H = 2, B = 1).
  if (long_len > 0) {
    tape.release_memory();
    nn::LSTM tiny({.input_size = 1, .hidden_size = 2});
    const long before = resident_kib();
    const auto long_start = std::chrono::steady_clock::now();
    Var x = tape.input(data.normal({long_len, 1, 1}, 0.0f, 1.0f));
    Var h_n = tiny(x).state.h;
    tape.backward(sum(h_n));
    const long after = resident_kib();
    std::printf("# backward through %zu steps: %zu nodes, tape %.1f MiB, resident +%.1f MiB, %.2f s\n",
                long_len, tape.size(), tape.memory_bytes() / 1048576.0, (after - before) / 1024.0,
                seconds_since(long_start));
  }
  return growth > 1024 ? 1 : 0;
}
