// Helpers for the save/load tests: a scratch folder, models to save, and bitwise snapshots.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "core/random.hpp"
#include "layers/activation.hpp"
#include "layers/linear.hpp"
#include "layers/sequential.hpp"

namespace recur::test {

/// A fresh folder under the system's temporary directory, removed with its contents at the end.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "recur-layers-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::permissions(path_, std::filesystem::perms::owner_all, ignored);
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  /// `name` inside the folder.
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  /// The folder.
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

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
