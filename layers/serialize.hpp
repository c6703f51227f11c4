/// @file
/// Saving and loading a module's parameters as a `.npz` of PyTorch-named float32 arrays.
#pragma once

#include <string>

#include "core/npz.hpp"
#include "layers/module.hpp"

namespace recur::nn {

/// Writes every parameter of `module` to `path` as a `.npz` with one float32 entry per
/// parameter, named as in PyTorch (`0.weight`, `lstm.weight_ih_l0`): `np.load` reads it, and
/// `model.load_state_dict({k: torch.from_numpy(v) for k, v in np.load(path).items()})` takes it.
/// Atomic: a temporary file is renamed over `path`, so a failed save leaves an existing file
/// intact. Throws recur::IoError naming the path.
/// @code
/// recur::nn::save(model, "model.npz");
/// recur::nn::load(fresh_model, "model.npz");
/// @endcode
void save(Module& module, const std::string& path);

/// Reads the parameters of `module` back from a `.npz` written by save() or by NumPy/PyTorch.
/// All or nothing: every name, shape and dtype is checked before any parameter changes, and
/// one recur::IoError lists every missing, unexpected or mismatched entry; a missing,
/// corrupt or truncated file throws recur::IoError and leaves the weights unchanged.
/// Bumps the version of each parameter it loads.
void load(Module& module, const std::string& path);

/// The parameters of `module` as named float32 arrays (copies), in named_parameters() order.
NpzEntries state_dict(Module& module);

/// Copies `entries` into the parameters of `module` with the checks of load(); `source` (a path,
/// or "checkpoint.npz: model") names where the entries came from in error messages.
void load_state_dict(Module& module, const NpzEntries& entries, const std::string& source);

}  // namespace recur::nn
