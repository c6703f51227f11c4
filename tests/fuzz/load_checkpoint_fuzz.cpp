// libFuzzer target: optim::load_checkpoint of any checkpoint entries (see checkpoint_run.hpp for
// the input's format and why it is not the .npz itself) into a small training run (a model,
// Adam with amsgrad in two groups, a StepLR, a ReduceLROnPlateau and a generator) either loads
// and the run can take a step from what was loaded, or throws recur::IoError and leaves every
// part bitwise as it was (loading is all or nothing). Anything else is a finding: a crash, UB
// (say a step count from the file overflowing), another exception, a part changed by a failed
// load.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "checkpoint_run.hpp"
#include "core/error.hpp"
#include "core/npz.hpp"
#include "optim/checkpoint.hpp"

namespace {

using namespace recur;
using recur::fuzz::Run;

std::vector<unsigned char> bits(const Tensor& tensor) {
  std::vector<unsigned char> out(sizeof(std::size_t) * tensor.dimension() + tensor.size() * sizeof(float));
  unsigned char* at = out.data();
  for (std::size_t extent : tensor.shape()) {
    std::memcpy(at, &extent, sizeof extent);
    at += sizeof extent;
  }
  if (tensor.size() > 0) std::memcpy(at, tensor.data(), tensor.size() * sizeof(float));
  return out;
}

void append(std::vector<unsigned char>& out, const void* data, std::size_t size) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  out.insert(out.end(), bytes, bytes + size);
}

// Every bit of the run that a checkpoint holds, to compare before and after a failed load.
std::vector<unsigned char> snapshot(Run& run) {
  std::vector<unsigned char> out;
  for (const auto& [name, parameter] : run.model.named_parameters()) {
    const auto value = bits(parameter->value);
    out.insert(out.end(), value.begin(), value.end());
  }
  for (std::size_t group = 0; group < run.adam.num_groups(); ++group) {
    const double lr = run.adam.lr(group);
    append(out, &lr, sizeof lr);
  }
  for (std::size_t index = 0; index < run.adam.parameters().size(); ++index) {
    const optim::ParameterState& state = run.adam.state(index);
    append(out, &state.step, sizeof state.step);
    for (const Tensor& buffer : state.buffers) {
      const auto value = bits(buffer);
      out.insert(out.end(), value.begin(), value.end());
    }
  }
  for (const optim::Schedule* schedule : {static_cast<optim::Schedule*>(&run.decay),
                                          static_cast<optim::Schedule*>(&run.plateau)})
    for (const auto& [key, value] : schedule->state()) {
      out.insert(out.end(), key.begin(), key.end());
      append(out, &value, sizeof value);
    }
  const Generator::State state = run.generator.state();
  append(out, state.data(), sizeof state);
  return out;
}

std::string scratch_path() {
  const char* folder = std::filesystem::is_directory("/dev/shm") ? "/dev/shm" : "/tmp";
  return std::string(folder) + "/recur_fuzz_checkpoint_" + std::to_string(::getpid()) + ".npz";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto entries = recur::fuzz::decode_entries(std::span<const unsigned char>(data, size));
  if (!entries) return 0;
  static const std::string path = scratch_path();
  try {
    save_npz(path, *entries);
  } catch (const Error&) {
    return 0;  // entries no .npz can hold (say two of one name)
  }
  Run run;
  run.step(1.0);  // state in every buffer, so that a failed load has something to keep
  const std::vector<unsigned char> before = snapshot(run);
  try {
    optim::load_checkpoint(path, run.parts());
    // Whatever was loaded must be a state the run can go on from.
    run.step(2.0);
    run.step(0.5);
  } catch (const IoError&) {
    if (snapshot(run) != before) std::abort();  // a failed load changed part of the run
  }
  std::remove(path.c_str());
  return 0;
}
