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
/// intact.
/// @param module The model (its parameters and every descendant's).
/// @param path Where the `.npz` goes; an existing file is replaced only once the new one is
///        complete.
/// @throws recur::IoError naming the path.
/// @code
/// recur::nn::save(model, "model.npz");
/// recur::nn::load(fresh_model, "model.npz");
/// @endcode
/// @see @ref pytorch_interop "Moving weights to and from PyTorch".
void save(Module& module, const std::string& path);

/// Reads the parameters of `module` back from a `.npz` written by save() or by NumPy/PyTorch.
/// All or nothing: every name, shape and dtype is checked before any parameter changes, and
/// one recur::IoError lists every missing, unexpected or mismatched entry; a missing,
/// corrupt or truncated file throws recur::IoError and leaves the weights unchanged.
/// Bumps the version of each parameter it loads.
/// @param module A model built with the same architecture as the one saved.
/// @param path A `.npz` with one entry per parameter, any numeric dtype (converted to float32).
/// @throws recur::IoError listing every problem: a missing, unreadable or damaged file, a
///         missing or unexpected entry, a shape that differs (`'lstm.weight_ih_l0' has shape
///         [64, 8], expected [128, 8]`).
void load(Module& module, const std::string& path);

/// The parameters of `module` as named float32 arrays (copies), in named_parameters() order.
/// @param module The model.
NpzEntries state_dict(Module& module);

/// Copies `entries` into the parameters of `module` with the checks of load(); `source` (a path,
/// or "checkpoint.npz: model") names where the entries came from in error messages.
/// @param module The model. @param entries Named arrays, as state_dict() or load_npz() give.
/// @param source Where the entries came from, for messages.
/// @throws recur::IoError as load(), leaving the parameters unchanged.
void load_state_dict(Module& module, const NpzEntries& entries, const std::string& source);

}  // namespace recur::nn
