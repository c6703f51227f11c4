// Helpers for the save/load tests: models to save, bitwise snapshots, and (from
// support/scratch_dir.hpp) a scratch folder.
#pragma once

#include <cstring>
#include <string>
#include <vector>

#include "core/random.hpp"
#include "layers/activation.hpp"
#include "layers/linear.hpp"
#include "layers/sequential.hpp"
#include "support/scratch_dir.hpp"

namespace recur::test {

/// Linear(in -> hidden), Tanh, Linear(hidden -> out), seeded: "0.weight", "0.bias", "2.weight",
/// "2.bias" as in torch.nn.Sequential.
inline void build_mlp(nn::Sequential& model, std::size_t in, std::size_t hidden, std::size_t out,
                      std::uint64_t seed, bool last_bias = true) {
  manual_seed(seed);
  model.emplace<nn::Linear>(nn::LinearOptions{.in_features = in, .out_features = hidden});
  model.emplace<nn::Tanh>();
  model.emplace<nn::Linear>(
      nn::LinearOptions{.in_features = hidden, .out_features = out, .bias = last_bias});
}

/// Copies of every parameter value, for bitwise comparison after a failed load.
inline std::vector<Tensor> snapshot(nn::Module& module) {
  std::vector<Tensor> values;
  for (Parameter* parameter : module.parameters()) values.push_back(parameter->value);
  return values;
}

/// True when every parameter holds exactly the bits of `before`.
inline bool unchanged(nn::Module& module, const std::vector<Tensor>& before) {
  const auto parameters = module.parameters();
  if (parameters.size() != before.size()) return false;
  for (std::size_t i = 0; i < before.size(); ++i) {
    const Tensor& now = parameters[i]->value;
    if (now.shape() != before[i].shape()) return false;
    if (std::memcmp(now.data(), before[i].data(), now.size() * sizeof(float)) != 0) return false;
  }
  return true;
}

}  // namespace recur::test
