// The small training run that the load_checkpoint fuzz target loads checkpoints into and that
// make_checkpoint_seeds saves its seed corpus from, so that both agree on every entry's name;
// and the seeds' format.
//
// The fuzzer's input is not the .npz itself: a zip stores a CRC of every entry, so nearly every
// mutation of a value inside would only fail the CRC check and the fuzzer would never reach
// what load_checkpoint does with the values (the zip layer is the load_npz target's job). The
// input is a list of entries, each `u8 name length, name, u16 little-endian length, .npy bytes`,
// that the target writes as a valid .npz with save_npz before loading it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/npy.hpp"
#include "core/npz.hpp"

#include "core/random.hpp"
#include "layers/module.hpp"
#include "optim/adam.hpp"
#include "optim/checkpoint.hpp"
#include "optim/schedule.hpp"

namespace recur::fuzz {

// Parameters `weight` [2, 3] and `inner.bias` [2].
struct Inner : nn::Module {
  Parameter& bias = register_parameter("bias", Tensor{0.5f, -0.5f});
};
struct Model : nn::Module {
  Parameter& weight = register_parameter("weight", Tensor{{1.0f, 2.0f, 3.0f}, {4.0f, 5.0f, 6.0f}});
  Inner inner;
  Model() { register_module("inner", inner); }
};

// A model, Adam with amsgrad in two groups (three buffers per parameter), two kinds of
// schedule and a generator: every kind of checkpoint entry.
struct Run {
  Model model;
  optim::Adam adam{{{.params = {&model.weight}}, {.params = {&model.inner.bias}, .lr = 3e-2}},
                   {.lr = 1e-2, .amsgrad = true}};
  optim::StepLR decay{adam, {.step_size = 2, .gamma = 0.5}};
  optim::ReduceLROnPlateau plateau{adam, {.factor = 0.5, .patience = 1}};
  Generator generator{7};

  optim::CheckpointParts parts() {
    return {.model = &model, .optimizer = &adam, .schedules = {&decay, &plateau},
            .generator = &generator};
  }
  // One training step with a fixed gradient, so that the optimiser has state to save.
  void step(double metric) {
    model.weight.grad = Tensor{{0.1f, -0.2f, 0.3f}, {-0.4f, 0.5f, -0.6f}};
    model.inner.bias.grad = Tensor{0.25f, -0.75f};
    adam.step();
    decay.step();
    plateau.step(metric);
    (void)generator.next_u64();
  }
};

// The fuzz input holding `entries` (names up to 255 bytes, arrays up to 64 KiB as .npy).
inline std::vector<unsigned char> encode_entries(const NpzEntries& entries) {
  std::vector<unsigned char> out;
  for (const auto& [name, array] : entries) {
    const std::vector<unsigned char> npy = serialize_npy(array);
    out.push_back(static_cast<unsigned char>(name.size()));
    out.insert(out.end(), name.begin(), name.end());
    out.push_back(static_cast<unsigned char>(npy.size() & 0xff));
    out.push_back(static_cast<unsigned char>(npy.size() >> 8));
    out.insert(out.end(), npy.begin(), npy.end());
  }
  return out;
}

// The entries of a fuzz input, or nothing when it is not a list of entries or an entry is not a
// valid .npy (what the parse_npy target covers).
inline std::optional<NpzEntries> decode_entries(std::span<const unsigned char> bytes) {
  NpzEntries entries;
  std::size_t at = 0;
  while (at < bytes.size()) {
    const std::size_t name_size = bytes[at++];
    if (bytes.size() - at < name_size + 2) return std::nullopt;
    std::string name(bytes.begin() + at, bytes.begin() + at + name_size);
    at += name_size;
    const std::size_t npy_size = bytes[at] | (std::size_t{bytes[at + 1]} << 8);
    at += 2;
    if (bytes.size() - at < npy_size) return std::nullopt;
    try {
      entries.emplace_back(std::move(name), parse_npy(bytes.subspan(at, npy_size), "fuzz.npy"));
    } catch (const IoError&) {
      return std::nullopt;
    }
    at += npy_size;
  }
  return entries;
}

}  // namespace recur::fuzz
