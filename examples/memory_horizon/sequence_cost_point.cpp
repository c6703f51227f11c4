#include "sequence_cost_point.hpp"

#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <vector>

#include "attention_model.hpp"
#include "autograd/ops/losses.hpp"
#include "core/error.hpp"
#include "core/threads.hpp"
#include "optim/adam.hpp"
#include "optim/clip.hpp"
#include "task.hpp"

namespace recur::examples {
namespace {

// CPU time of this process in ms: on a machine shared with other jobs it leaves out the time
// the scheduler gave the core to someone else, which wall time counts (bench/recur_bench's).
double cpu_ms() {
  timespec now{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) * 1e3 + static_cast<double>(now.tv_nsec) * 1e-6;
}

// The largest resident set this process has had so far, in MiB (Linux counts ru_maxrss in KiB).
double peak_rss_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

}  // namespace

PointResult measure_point(const PointOptions& options) {
  if (options.length == 0 || options.batch == 0 || options.hidden == 0)
    throw ValueError("sequence_cost: length " + std::to_string(options.length) + ", batch " +
                     std::to_string(options.batch) + " and hidden " +
                     std::to_string(options.hidden) + " must all be positive");
  set_num_threads(options.threads);
  // The sweep's sizes and alphabet; the attention model's position table is the same at every
  // length, so that every point measures the same model.
  const TaskOptions task;
  ModelOptions sizes{.kind = parse_model(options.model), .vocabulary = task.vocabulary(),
                     .classes = task.keys, .hidden = options.hidden};
  manual_seed(1);
  std::unique_ptr<SequenceClassifier> model;
  if (sizes.kind == ModelKind::attention)
    model = std::make_unique<AttentionClassifier>(
        sizes, AttentionOptions{.max_positions = options.max_positions});
  else
    model = make_model(sizes);
  optim::Adam optimizer(model->parameters(), {.lr = 1e-2});
  Generator data(2);
  const TaskBatch batch = make_batch(task, options.length - 1, options.batch, data);

  PointResult result;
  result.parameters = model->num_parameters();
  result.rss_before_mib = peak_rss_mib();
  Tape tape;
  const auto step = [&] {
    tape.clear();
    const Var loss = cross_entropy(model->logits(tape, batch.tokens), batch.labels);
    tape.backward(loss);
    optim::clip_grad_norm(model->parameters(), 1.0);
    optimizer.step();
    optimizer.zero_grad();
  };
  step();  // warm-up: the tape's buffers and OpenBLAS's are allocated here
  std::vector<double> cpu, wall;
  const double start = cpu_ms();
  while (cpu.size() < options.min_steps ||
         (cpu_ms() - start < 1e3 * options.min_seconds && cpu.size() < 50)) {
    const double cpu_before = cpu_ms();
    const auto wall_before = std::chrono::steady_clock::now();
    step();
    cpu.push_back(cpu_ms() - cpu_before);
    wall.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() -
                                                             wall_before).count());
  }
  result.cpu_ms = median(cpu);
  result.wall_ms = median(wall);
  result.steps = cpu.size();
  result.rss_peak_mib = peak_rss_mib();
  return result;
}

}  // namespace recur::examples
