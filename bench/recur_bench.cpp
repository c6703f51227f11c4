// Times one training step of a recurrent layer + linear head + cross-entropy + Adam (or, with
// --infer, the forward pass alone under NoGradGuard), float32, and prints one JSON line.
// bench/torch_reference.py does the same in PyTorch; bench/compare runs both.
//
//   ./build/bench/recur_bench --cell lstm --batch 32 --seq 64 --input 64 --hidden 256 \
//       --layers 1 --threads 1 --steps 50 --warmup 5 [--infer] [--classes 32] \
//       [--lengths ragged] [--recurrent-dropout P] [--proj P]
//
// --cell lstm|gru|rnn, or a layer of the zoo (layers/zoo/): peephole, cifg, indrnn, mingru,
// minlstm, cornn, slstm (each declared on the engine), mingru-scan and minlstm-scan (their
// parallel scan in log space), lnlstm, lru and lmu (composite modules, one layer for the last
// two); compare one with --cell lstm at the same sizes. --lengths
// ragged gives sequence b a length spread evenly over [T/2, T] (a padded batch, in no
// particular order); --recurrent-dropout and --proj set the layer's options of those names.
//
// Besides median_ms / min_ms / peak_rss_mb it prints host_idle and host_steal (the shares of
// the machine idle and stolen by a hypervisor over the timed steps), allocs_per_step (heap
// allocations per timed step, counted by alloc_counter.cpp) and gemm_ms: the time OpenBLAS
// takes for the GEMMs of the same shapes alone, so gemm_fraction = gemm_ms / median_ms is how
// close the step comes to the machine's GEMM throughput.
#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "alloc_counter.hpp"
#include "docs/snippets/peephole_lstm.hpp"
#include "layers/recurrent.hpp"
#include "recur/recur.hpp"

namespace {

using Clock = std::chrono::steady_clock;

// CPU time of this process in ms: on a machine shared with other jobs it leaves out the time the
// scheduler gave the core to someone else, which wall time counts.
double cpu_ms() {
  timespec now{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) * 1e3 + static_cast<double>(now.tv_nsec) * 1e-6;
}

// The machine's CPU time so far, from /proc/stat's first line, in clock ticks: all of it, the
// idle part and the part stolen (a hypervisor running another guest on this VM's cores).
struct MachineTime {
  double total = 0, idle = 0, stolen = 0;
};

MachineTime machine_time() {
  MachineTime t;
  std::FILE* stat = std::fopen("/proc/stat", "r");
  if (!stat) return t;
  unsigned long long v[8] = {};
  if (std::fscanf(stat, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
                  &v[4], &v[5], &v[6], &v[7]) == 8) {
    for (unsigned long long x : v) t.total += static_cast<double>(x);
    t.idle = static_cast<double>(v[3] + v[4]);
    t.stolen = static_cast<double>(v[7]);
  }
  std::fclose(stat);
  return t;
}

struct Options {
  std::string cell = "lstm";
  std::size_t batch = 32, seq = 64, input = 64, hidden = 256, layers = 1, classes = 32;
  int threads = 1, steps = 20, warmup = 3;
  bool infer = false;
  bool ragged = false;            // --lengths ragged
  float recurrent_dropout = 0.0f;
  std::size_t proj = 0;
  bool time_gemm = true;  // --no-gemm skips timing the bare GEMMs (for profiling the step alone)
  bool keep_denormals = false;  // --keep-denormals: recur::set_flush_denormal(false)
};

// What the bench needs to know of a cell: its gate blocks, how many states W_hh reads side by
// side (0: it has no W_hh), whether it takes --proj and --recurrent-dropout, and whether it is a
// composite module of ops on the tape (no GEMM model, no padded batches).
struct CellInfo {
  const char* name;
  std::size_t gates, recurrent;
  bool projects, recurrent_dropout, composite = false;
};
constexpr std::array<CellInfo, 15> kCells{{{"lstm", 4, 1, true, true},
                                           {"gru", 3, 1, false, true},
                                           {"rnn", 1, 1, false, true},
                                           {"peephole", 4, 1, true, true},
                                           {"cifg", 3, 1, true, true},
                                           {"indrnn", 1, 0, false, false},
                                           {"mingru", 2, 0, false, false},
                                           {"mingru-scan", 2, 0, false, false},
                                           {"minlstm", 3, 0, false, false},
                                           {"minlstm-scan", 3, 0, false, false},
                                           {"cornn", 1, 2, false, true},
                                           {"slstm", 4, 1, false, true},
                                           {"lnlstm", 0, 0, false, false, true},
                                           {"lru", 0, 0, false, false, true},
                                           {"lmu", 0, 0, false, false, true}}};

const CellInfo* find_cell(const std::string& name) {
  for (const CellInfo& cell : kCells)
    if (name == cell.name) return &cell;
  return nullptr;
}

[[noreturn]] void usage(const char* problem) {
  std::fprintf(stderr,
               "recur_bench: %s\nusage: recur_bench --cell lstm|gru|rnn|peephole|cifg|indrnn|"
               "mingru|mingru-scan|minlstm|minlstm-scan|cornn|slstm|lnlstm|lru|lmu --batch B "
               "--seq T --input I --hidden H --layers L --threads N --steps S --warmup W "
               "[--infer] [--classes C] [--no-gemm] [--lengths ragged|full] "
               "[--recurrent-dropout P] [--proj P] [--keep-denormals]\n",
               problem);
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--infer") {
      o.infer = true;
      continue;
    }
    if (flag == "--no-gemm") {
      o.time_gemm = false;
      continue;
    }
    if (flag == "--keep-denormals") {
      o.keep_denormals = true;
      continue;
    }
    if (i + 1 >= argc) usage(("missing value after " + flag).c_str());
    const char* value = argv[++i];
    const auto number = [&] {
      char* end = nullptr;
      const long v = std::strtol(value, &end, 10);
      if (*end != '\0' || v <= 0) usage((flag + " needs a positive integer").c_str());
      return static_cast<std::size_t>(v);
    };
    if (flag == "--cell") o.cell = value;
    else if (flag == "--lengths") {
      if (std::string(value) != "ragged" && std::string(value) != "full")
        usage("--lengths must be ragged or full");
      o.ragged = std::string(value) == "ragged";
    } else if (flag == "--recurrent-dropout") {
      char* end = nullptr;
      o.recurrent_dropout = std::strtof(value, &end);
      if (*end != '\0' || !(o.recurrent_dropout >= 0.0f && o.recurrent_dropout < 1.0f))
        usage("--recurrent-dropout needs a probability in [0, 1)");
    } else if (flag == "--proj") o.proj = number();
    else if (flag == "--batch") o.batch = number();
    else if (flag == "--seq") o.seq = number();
    else if (flag == "--input") o.input = number();
    else if (flag == "--hidden") o.hidden = number();
    else if (flag == "--layers") o.layers = number();
    else if (flag == "--classes") o.classes = number();
    else if (flag == "--threads") o.threads = static_cast<int>(number());
    else if (flag == "--steps") o.steps = static_cast<int>(number());
    else if (flag == "--warmup") o.warmup = static_cast<int>(number());
    else usage(("unknown option " + flag).c_str());
  }
  const CellInfo* cell = find_cell(o.cell);
  if (!cell)
    usage("--cell must be lstm, gru, rnn, peephole, cifg, indrnn, mingru, mingru-scan, minlstm, "
          "minlstm-scan, cornn, slstm, lnlstm, lru or lmu");
  if (cell->composite && o.ragged) usage("--lengths ragged needs a cell of the engine");
  if ((o.cell == "lru" || o.cell == "lmu") && o.layers != 1)
    usage("--cell lru and lmu have one layer");
  if (o.proj && (o.proj >= o.hidden || !cell->projects))
    usage("--proj needs the lstm, peephole or cifg cell and P < H");
  if (o.recurrent_dropout > 0.0f && !cell->recurrent_dropout)
    usage("--recurrent-dropout needs a cell with W_hh");
  return o;
}

// The recurrent layer behind one interface: output [T, B, Hout] of input [T, B, I] (with each
// sequence's length when the batch is padded).
struct Recurrent {
  virtual ~Recurrent() = default;
  virtual recur::Var run(const recur::Var& x, const recur::IndexTensor* lengths) = 0;
  virtual recur::nn::Module& module() = 0;
};

// A composite module of the zoo (ops on the tape): whole batches only.
template <class Layer, class LayerOptions>
struct CompositeOf : Recurrent {
  explicit CompositeOf(const LayerOptions& options) : layer(options) {}
  recur::Var run(const recur::Var& x, const recur::IndexTensor*) override {
    return layer(x).output;
  }
  recur::nn::Module& module() override { return layer; }
  Layer layer;
};

template <class Layer, class LayerOptions>
struct RecurrentOf : Recurrent {
  explicit RecurrentOf(const LayerOptions& options) : layer(options) {}
  recur::Var run(const recur::Var& x, const recur::IndexTensor* lengths) override {
    return lengths ? layer(x, *lengths).output : layer(x).output;
  }
  recur::nn::Module& module() override { return layer; }
  Layer layer;
};

std::unique_ptr<Recurrent> make_layer(const Options& o) {
  const float p = o.recurrent_dropout;
  if (o.cell == "lstm")
    return std::make_unique<RecurrentOf<recur::nn::LSTM, recur::nn::LSTMOptions>>(
        recur::nn::LSTMOptions{.input_size = o.input, .hidden_size = o.hidden,
                               .num_layers = o.layers, .proj_size = o.proj,
                               .recurrent_dropout = p});
  if (o.cell == "peephole")
    return std::make_unique<RecurrentOf<recur::nn::Recurrent<PeepholeLSTM>,
                                        recur::nn::RecurrentOptions>>(
        recur::nn::RecurrentOptions{.input_size = o.input, .hidden_size = o.hidden,
                                    .num_layers = o.layers, .proj_size = o.proj,
                                    .recurrent_dropout = p});
  namespace nn = recur::nn;
  const nn::RecurrentOptions lstm_like{.input_size = o.input, .hidden_size = o.hidden,
                                       .num_layers = o.layers, .proj_size = o.proj,
                                       .recurrent_dropout = p};
  if (o.cell == "cifg")
    return std::make_unique<RecurrentOf<nn::CIFGLSTM, nn::CIFGLSTMOptions>>(lstm_like);
  if (o.cell == "indrnn")
    return std::make_unique<RecurrentOf<nn::IndRNN, nn::IndRNNOptions>>(
        nn::IndRNNOptions{.input_size = o.input, .hidden_size = o.hidden,
                          .num_layers = o.layers});
  if (o.cell.rfind("mingru", 0) == 0)
    return std::make_unique<RecurrentOf<nn::MinGRU, nn::MinGRUOptions>>(
        nn::MinGRUOptions{.input_size = o.input, .hidden_size = o.hidden, .num_layers = o.layers,
                          .parallel_scan = o.cell == "mingru-scan"});
  if (o.cell.rfind("minlstm", 0) == 0)
    return std::make_unique<RecurrentOf<nn::MinLSTM, nn::MinLSTMOptions>>(
        nn::MinLSTMOptions{.input_size = o.input, .hidden_size = o.hidden,
                           .num_layers = o.layers, .parallel_scan = o.cell == "minlstm-scan"});
  if (o.cell == "cornn")
    return std::make_unique<RecurrentOf<nn::CoRNN, nn::CoRNNOptions>>(
        nn::CoRNNOptions{.input_size = o.input, .hidden_size = o.hidden, .num_layers = o.layers,
                         .recurrent_dropout = p});
  if (o.cell == "slstm")
    return std::make_unique<RecurrentOf<nn::SLSTM, nn::SLSTMOptions>>(
        nn::SLSTMOptions{.input_size = o.input, .hidden_size = o.hidden, .num_layers = o.layers,
                         .recurrent_dropout = p});
  if (o.cell == "lnlstm")
    return std::make_unique<CompositeOf<nn::LayerNormLSTM, nn::LayerNormLSTMOptions>>(
        nn::LayerNormLSTMOptions{.input_size = o.input, .hidden_size = o.hidden,
                                 .num_layers = o.layers});
  // The LRU's state is --hidden complex units; its output has the input's width.
  if (o.cell == "lru")
    return std::make_unique<CompositeOf<nn::LRU, nn::LRUOptions>>(
        nn::LRUOptions{.input_size = o.input, .state_size = o.hidden});
  // The LMU with as many Legendre coefficients as hidden units, over the whole sequence.
  if (o.cell == "lmu")
    return std::make_unique<CompositeOf<nn::LMU, nn::LMUOptions>>(
        nn::LMUOptions{.input_size = o.input, .hidden_size = o.hidden, .memory_size = o.hidden,
                       .theta = static_cast<float>(o.seq)});
  if (o.cell == "gru")
    return std::make_unique<RecurrentOf<recur::nn::GRU, recur::nn::GRUOptions>>(
        recur::nn::GRUOptions{.input_size = o.input, .hidden_size = o.hidden,
                              .num_layers = o.layers, .recurrent_dropout = p});
  return std::make_unique<RecurrentOf<recur::nn::RNN, recur::nn::RNNOptions>>(
      recur::nn::RNNOptions{.input_size = o.input, .hidden_size = o.hidden,
                            .num_layers = o.layers, .recurrent_dropout = p});
}

// Sequence b's length for --lengths ragged: spread evenly over [T/2, T], in a scrambled order
// (a padded batch is rarely sorted).
recur::IndexTensor ragged_lengths(const Options& o) {
  recur::IndexTensor lengths(recur::Shape{o.batch});
  const std::size_t shortest = (o.seq + 1) / 2, spread = o.seq - shortest;
  for (std::size_t b = 0; b < o.batch; ++b) {
    const std::size_t rank = (b * 7) % o.batch;  // 7 is prime to most batch sizes
    lengths(b) = static_cast<std::int64_t>(
        shortest + (o.batch > 1 ? rank * spread / (o.batch - 1) : spread));
  }
  return lengths;
}

// One GEMM of the step: C [m, n] = op(A) op(B), k the inner size.
struct GemmShape {
  std::size_t m, n, k;
  bool transpose_a, transpose_b;
  int repeat;
};

// The GEMMs a training step (or inference) of this configuration needs at the least: the input
// projection of all steps at once, T recurrent products, the head, and in training their
// backward products, with the weight gradients as one GEMM over all T*B rows.
std::vector<GemmShape> step_gemms(const Options& o) {
  const CellInfo& cell = *find_cell(o.cell);
  if (cell.composite) return {};  // no GEMM model: gemm_ms and the GFLOP/s print as 0
  const std::size_t gates = cell.gates * o.hidden;
  const std::size_t rows = o.seq * o.batch, h = o.hidden, p = o.proj ? o.proj : o.hidden;
  const std::size_t fed_back = cell.recurrent * p;  // columns of W_hh, 0 without it
  const int t = static_cast<int>(o.seq);
  std::vector<GemmShape> gemms;
  for (std::size_t layer = 0; layer < o.layers; ++layer) {
    const std::size_t in = layer == 0 ? o.input : p;
    gemms.push_back({rows, gates, in, false, true, 1});    // X W_ih^T
    if (fed_back) gemms.push_back({o.batch, gates, fed_back, false, true, t});  // h W_hh^T
    if (o.proj) gemms.push_back({o.batch, p, h, false, true, t});  // h = h_raw W_hr^T
    if (!o.infer) {
      gemms.push_back({gates, in, rows, true, false, 1});    // dW_ih = dG^T X
      if (layer > 0) gemms.push_back({rows, in, gates, false, false, 1});  // dX = dG W_ih
      if (fed_back) {
        gemms.push_back({o.batch, fed_back, gates, false, false, t});  // dh_{t-1} = dG_t W_hh
        gemms.push_back({gates, fed_back, rows, true, false, 1});      // dW_hh = dG^T H
      }
      if (o.proj) {
        gemms.push_back({o.batch, h, p, false, false, t});  // dh_raw = dh W_hr
        gemms.push_back({p, h, rows, true, false, 1});      // dW_hr = dh^T h_raw
      }
    }
  }
  gemms.push_back({rows, o.classes, p, false, true, 1});  // logits = H W^T
  if (!o.infer) {
    gemms.push_back({o.classes, p, rows, true, false, 1});  // dW = dY^T H
    gemms.push_back({rows, p, o.classes, false, false, 1}); // dH = dY W
  }
  return gemms;
}

double gemm_flops(const std::vector<GemmShape>& gemms) {
  double flops = 0;
  for (const GemmShape& g : gemms) flops += 2.0 * g.m * g.n * g.k * g.repeat;
  return flops;
}

// Median time of running just these GEMMs with OpenBLAS, in ms.
double time_gemms(const std::vector<GemmShape>& gemms, int steps) {
  std::vector<std::vector<float>> a, b, c;
  recur::Generator gen(3);
  for (const GemmShape& g : gemms) {
    const recur::Tensor ta = gen.uniform({g.m * g.k}, -1.0f, 1.0f);
    const recur::Tensor tb = gen.uniform({g.k * g.n}, -1.0f, 1.0f);
    a.emplace_back(ta.begin(), ta.end());
    b.emplace_back(tb.begin(), tb.end());
    c.emplace_back(g.m * g.n, 0.0f);
  }
  std::vector<double> times;
  for (int s = 0; s < steps + 2; ++s) {
    const auto start = Clock::now();
    for (std::size_t i = 0; i < gemms.size(); ++i) {
      const GemmShape& g = gemms[i];
      for (int r = 0; r < g.repeat; ++r)
        recur::gemm_raw(a[i].data(), g.transpose_a, b[i].data(), g.transpose_b, c[i].data(), g.m,
                        g.n, g.k, 1.0f, 0.0f);
    }
    if (s >= 2) times.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  recur::set_num_threads(o.threads);
  recur::set_flush_denormal(!o.keep_denormals);
  recur::default_generator().seed(0);

  std::unique_ptr<Recurrent> rnn = make_layer(o);
  const std::size_t out = o.cell == "lru" ? o.input : o.proj ? o.proj : o.hidden;
  recur::Parameter head_weight(recur::default_generator().uniform({o.classes, out}, -0.06f, 0.06f));
  recur::Parameter head_bias(recur::zeros({o.classes}));
  std::vector<recur::Parameter*> parameters = rnn->module().parameters();
  parameters.push_back(&head_weight);
  parameters.push_back(&head_bias);
  // The library's own optimiser, torch.optim.Adam's defaults (lr 1e-3, betas 0.9/0.999).
  recur::optim::Adam adam(parameters);

  const recur::Tensor x = recur::default_generator().uniform({o.seq, o.batch, o.input}, -1.0f, 1.0f);
  recur::IndexTensor targets(recur::Shape{o.seq * o.batch});
  for (std::size_t i = 0; i < targets.size(); ++i)
    targets.data()[i] = static_cast<std::int64_t>(recur::default_generator().next_u64() % o.classes);

  const recur::IndexTensor lengths = ragged_lengths(o);
  const recur::IndexTensor* padded = o.ragged ? &lengths : nullptr;
  recur::Tape tape;
  float last_loss = 0.0f;
  const auto step = [&] {
    tape.clear();
    if (o.infer) {
      recur::NoGradGuard no_grad;
      const recur::Var out = rnn->run(tape.input(x), padded);
      // The head takes [T, B, H] as T*B rows in place, as torch's view does (no copy).
      const recur::Var logits =
          recur::linear(out, tape.parameter(head_weight), tape.parameter(head_bias));
      last_loss = logits.value().data()[0];
      return;
    }
    adam.zero_grad();
    const recur::Var out = rnn->run(tape.input(x), padded);
    const recur::Var logits =
        recur::linear(out, tape.parameter(head_weight), tape.parameter(head_bias));
    const recur::Var loss =
        recur::cross_entropy(recur::reshape(logits, {o.seq * o.batch, o.classes}), targets);
    tape.backward(loss);
    adam.step();
    last_loss = loss.value().data()[0];
  };

  if (o.infer) rnn->module().eval();
  // Warm up for the given steps and at least a quarter second: OpenBLAS starts its own thread
  // pool when the library loads and those threads spin for about 0.1 s before they sleep (recur
  // never gives them work), competing with a two-thread team for the cores meanwhile.
  const auto warm_start = Clock::now();
  for (int i = 0; i < o.warmup || Clock::now() - warm_start < std::chrono::milliseconds(250); ++i)
    step();
  std::vector<double> times, cpu_times;
  times.reserve(o.steps);  // so the timing itself allocates nothing inside the counted window
  cpu_times.reserve(o.steps);
  const std::uint64_t allocations_before = recur_bench::allocation_count();
  const MachineTime machine_before = machine_time();
  for (int i = 0; i < o.steps; ++i) {
    const auto start = Clock::now();
    const double cpu_start = cpu_ms();
    step();
    cpu_times.push_back(cpu_ms() - cpu_start);
    times.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
  }
  const std::uint64_t allocations = recur_bench::allocation_count() - allocations_before;
  // The shares of the machine idle and stolen over the timed steps (-1 where /proc/stat is
  // missing or too coarse): a two-thread step with a core idle or stolen did not have two cores.
  const MachineTime machine_after = machine_time();
  const double machine_total = machine_after.total - machine_before.total;
  const double host_idle =
      machine_total > 0 ? (machine_after.idle - machine_before.idle) / machine_total : -1;
  const double host_steal =
      machine_total > 0 ? (machine_after.stolen - machine_before.stolen) / machine_total : -1;
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const double peak_rss_mb = static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB

  std::sort(times.begin(), times.end());
  std::sort(cpu_times.begin(), cpu_times.end());
  const double median = times[times.size() / 2], minimum = times.front();
  const double median_cpu = cpu_times[cpu_times.size() / 2];
  const std::vector<GemmShape> gemms = step_gemms(o);
  const double gemm_ms = o.time_gemm ? time_gemms(gemms, std::max(3, std::min(o.steps, 10))) : 0.0;
  const double flops = gemm_flops(gemms);
  std::printf(
      "{\"impl\": \"recur\", \"cell\": \"%s\", \"mode\": \"%s\", \"lengths\": \"%s\", "
      "\"recurrent_dropout\": %.3f, \"proj\": %zu, \"batch\": %zu, \"seq\": %zu, "
      "\"input\": %zu, \"hidden\": %zu, \"layers\": %zu, \"classes\": %zu, \"threads\": %d, "
      "\"steps\": %d, \"median_ms\": %.4f, \"median_cpu_ms\": %.4f, \"min_ms\": %.4f, \"peak_rss_mb\": %.1f, "
      "\"allocs_per_step\": %.2f, \"gemm_ms\": %.4f, \"gemm_fraction\": %.3f, "
      "\"step_gflops\": %.2f, \"gemm_gflops\": %.2f, \"loss\": %.6f, \"blas_core\": \"%s\", "
      "\"host_idle\": %.4f, \"host_steal\": %.4f}\n",
      o.cell.c_str(), o.infer ? "infer" : "train", o.ragged ? "ragged" : "full",
      o.recurrent_dropout, o.proj, o.batch, o.seq, o.input, o.hidden, o.layers,
      o.classes, o.threads, o.steps, median, median_cpu, minimum, peak_rss_mb,
      static_cast<double>(allocations) / o.steps, gemm_ms, gemm_ms / median,
      // --no-gemm times no reference: its rate prints as 0, since inf is not JSON.
      flops / median / 1e6, gemm_ms > 0 ? flops / gemm_ms / 1e6 : 0.0, last_loss,
      recur::blas_core().c_str(), host_idle, host_steal);
  return 0;
}
