// Snippet for docs/debugging.md: a step whose gradient is not finite is skipped, and leaves the
// weights as they were. The second of three batches holds a NaN.
#include <recur/recur.hpp>

#include <cmath>
#include <cstdio>
#include <limits>
#include <vector>

int main() {
  recur::manual_seed(5);
  recur::nn::Linear model({.in_features = 3, .out_features = 1});
  recur::optim::Adam optimizer(model.parameters(), {.lr = 1e-2});
  recur::Generator generator(9);
  std::vector<recur::Tensor> batches;
  for (int b = 0; b < 3; ++b) batches.push_back(generator.uniform({4, 3}, -1.0f, 1.0f));
  batches[1](2, 0) = std::numeric_limits<float>::quiet_NaN();
  const recur::Tensor targets = generator.uniform({4, 1}, -1.0f, 1.0f);

  recur::Tape tape;
  std::vector<recur::Tensor> weight_at_start;   // the weight as each step begins
  int stepped = 0;
  for (int step = 0; step < 3; ++step) {
    weight_at_start.push_back(model.find_parameter("weight")->value);
    tape.clear();
    optimizer.zero_grad();
    recur::Var loss = recur::mse_loss(model(tape.input(batches[step])), tape.input(targets));
    //! [skip]
    tape.backward(loss);
    double norm = recur::optim::clip_grad_norm(model.parameters(), 1.0);
    if (!std::isfinite(norm)) {   // skip this batch
      optimizer.zero_grad();
      continue;
    }
    optimizer.step();
    //! [skip]
    ++stepped;
  }
  // The bad step (1) left the weight as step 2 found it; the good ones (0 and 2) changed it.
  const bool unchanged = weight_at_start[2] == weight_at_start[1];
  const bool moved = weight_at_start[1] != weight_at_start[0] &&
                     model.find_parameter("weight")->value != weight_at_start[2];
  const int skipped = 3 - stepped;
  bool finite = true;
  for (recur::Parameter* parameter : model.parameters())
    for (float v : parameter->value) finite = finite && std::isfinite(v);
  std::printf("skipped %d step(s); weights %s by the bad step, all finite at the end: %s\n",
              skipped, unchanged ? "unchanged" : "CHANGED", finite ? "yes" : "NO");
  return skipped == 1 && unchanged && moved && finite ? 0 : 1;
}
