// libFuzzer target: nn::load of any bytes into a small module either loads (every parameter
// keeps its shape) or throws recur::IoError and leaves every parameter bitwise as it was
// (loading is all or nothing). Anything else is a finding.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

#include "core/error.hpp"
#include "layers/module.hpp"
#include "layers/serialize.hpp"

namespace {

// Parameters `weight` [2, 3] and `inner.bias` [3], like a tiny Linear inside a model.
struct Inner : recur::nn::Module {
  recur::Parameter& bias = register_parameter("bias", recur::Tensor{0.5f, -0.5f, 1.5f});
};
struct Model : recur::nn::Module {
  recur::Parameter& weight =
      register_parameter("weight", recur::Tensor{{1.0f, 2.0f, 3.0f}, {4.0f, 5.0f, 6.0f}});
  Inner inner;
  Model() { register_module("inner", inner); }
};

std::string scratch_path() {
  const char* folder = std::filesystem::is_directory("/dev/shm") ? "/dev/shm" : "/tmp";
  return std::string(folder) + "/recur_fuzz_module_" + std::to_string(::getpid()) + ".npz";
}

bool same_bits(const recur::Tensor& a, const recur::Tensor& b) {
  return a.shape() == b.shape() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string path = scratch_path();
  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr) std::abort();
  if (size > 0 && std::fwrite(data, 1, size, file) != size) std::abort();
  std::fclose(file);
  Model model;
  const recur::Tensor weight = model.weight.value, bias = model.inner.bias.value;
  try {
    recur::nn::load(model, path);
    if (model.weight.value.shape() != weight.shape()) std::abort();
    if (model.inner.bias.value.shape() != bias.shape()) std::abort();
  } catch (const recur::IoError&) {
    if (!same_bits(model.weight.value, weight) || !same_bits(model.inner.bias.value, bias))
      std::abort();  // a failed load changed a parameter
  }
  std::remove(path.c_str());
  return 0;
}
