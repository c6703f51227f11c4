// Snippet for docs/training.md: a training loop with Adam, gradient clipping, a warm-up and
// cosine schedule, a progress display and a checkpoint that resumes exactly.
#include <recur/recur.hpp>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <sstream>

namespace optim = recur::optim;

// A small regressor, y = head(tanh(hidden(x))), with torch.nn.Linear's parameter names.
struct Regressor : recur::nn::Module {
  recur::Parameter& hidden_weight;
  recur::Parameter& hidden_bias;
  recur::Parameter& head_weight;
  recur::Parameter& head_bias;
  explicit Regressor(recur::Generator& init)
      : hidden_weight(register_parameter("hidden.weight", init.uniform({16, 4}, -0.5f, 0.5f))),
        hidden_bias(register_parameter("hidden.bias", init.uniform({16}, -0.5f, 0.5f))),
        head_weight(register_parameter("head.weight", init.uniform({1, 16}, -0.25f, 0.25f))),
        head_bias(register_parameter("head.bias", init.uniform({1}, -0.25f, 0.25f))) {}

  recur::Var forward(recur::Tape& tape, const recur::Tensor& x) {
    recur::Var h = recur::tanh(recur::linear(tape.input(x), tape.parameter(hidden_weight),
                                             tape.parameter(hidden_bias)));
    return recur::linear(h, tape.parameter(head_weight), tape.parameter(head_bias));
  }
};

// Everything a run holds: the model, its optimiser and schedules, the data generator.
struct Run {
  recur::Generator generator{1234};
  Regressor model{generator};
  //! [setup]
  optim::Adam optimizer{model.parameters(), {.lr = 1e-2}};
  optim::LinearLR warmup{optimizer, {.start_factor = 0.1, .total_iters = 20}};
  optim::CosineAnnealingLR cosine{optimizer, {.T_max = 200, .eta_min = 1e-4}};
  //! [setup]
  recur::Tape tape;

  //! [step]
  float step() {
    // A batch of the task: y = sin(x0) + x1 * x2 - x3.
    recur::Tensor x = generator.uniform({32, 4}, -1.0f, 1.0f);
    recur::Tensor y = recur::zeros({32, 1});
    for (std::size_t i = 0; i < 32; ++i)
      y(i, 0) = std::sin(x(i, 0)) + x(i, 1) * x(i, 2) - x(i, 3);

    tape.clear();                         // a new step; the buffers are reused
    optimizer.zero_grad();
    recur::Var loss = recur::mse_loss(model.forward(tape, x), tape.input(y));
    tape.backward(loss);
    optim::clip_grad_norm(model.parameters(), 1.0);   // before the step, after backward
    optimizer.step();
    warmup.step();                        // both schedules set the rate: they compose
    cosine.step();
    return loss.value()();
  }
  //! [step]

  //! [parts]
  optim::CheckpointParts parts() {
    return {.model = &model, .optimizer = &optimizer, .schedules = {&warmup, &cosine},
            .generator = &generator};
  }
  //! [parts]
};

int main() {
  const std::string path = (std::filesystem::temp_directory_path() / "recur_training_snippet.npz").string();
  std::ostringstream log;  // the progress lines go here; std::cerr in a real program

  // 200 steps in one go, with a progress display.
  Run full;
  float first_loss = 0, last_loss = 0;
  {
    //! [progress]
    const std::size_t steps = 200;
    recur::Progress progress({.total = steps, .label = "regressor", .out = &log,
                              .line_interval_steps = 50});
    for (std::size_t step = 1; step <= steps; ++step) {
      const float loss = full.step();
      progress.update(step, loss);
      if (step == 1) first_loss = loss;
      last_loss = loss;
    }
    progress.finish();
    //! [progress]
  }

  // 100 steps, a checkpoint, and 100 more after loading it into freshly built objects.
  {
    Run first;
    for (int step = 0; step < 100; ++step) first.step();
    //! [save]
    optim::save_checkpoint(path, first.parts(), /*step=*/100);
    //! [save]
  }
  Run resumed;
  //! [load]
  std::uint64_t start = optim::load_checkpoint(path, resumed.parts());   // all or nothing
  for (std::uint64_t step = start; step < 200; ++step) resumed.step();
  //! [load]
  std::filesystem::remove(path);

  // Parameter groups: the head with its own rate and no weight decay.
  Regressor model{full.generator};
  std::vector<recur::Parameter*> body = {&model.hidden_weight, &model.hidden_bias};
  std::vector<recur::Parameter*> head = {&model.head_weight, &model.head_bias};
  //! [groups]
  optim::AdamW opt({{.params = body},
                    {.params = head, .lr = 3e-3, .weight_decay = 0.0}},
                   {.lr = 1e-3});
  //! [groups]
  const bool groups_ok = opt.num_groups() == 2 && opt.lr(0) == 1e-3 && opt.lr(1) == 3e-3 &&
                         opt.options(0).weight_decay == 1e-2 && opt.options(1).weight_decay == 0.0;
  if (!groups_ok) std::printf("parameter groups: options not as given\n");

  const recur::Tensor& a = full.model.head_weight.value;
  const recur::Tensor& b = resumed.model.head_weight.value;
  const bool exact = std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
  std::printf("%sloss %.4f -> %.4f; resumed run %s\n", log.str().c_str(), first_loss, last_loss,
              exact ? "identical" : "DIFFERENT");
  return exact && groups_ok && last_loss < first_loss / 4 ? 0 : 1;
}
