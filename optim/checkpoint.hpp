/// @file
/// Training checkpoints: model, optimiser state, schedules, step number and random generator in
/// one `.npz`, so that a resumed run continues bit for bit.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/random.hpp"
#include "layers/module.hpp"
#include "optim/optimizer.hpp"
#include "optim/schedule.hpp"

namespace recur::optim {

/// The live objects a checkpoint is saved from and loaded into; leave out (nullptr, empty) what
/// the run does not have. The file holds, as a standard `.npz` that NumPy reads:
/// - `step`: the step number (uint64);
/// - `model.<name>`: every parameter under its PyTorch name (float32), prefix `model_prefix`;
/// - `optimizer.param_groups.<g>.lr`: each group's learning rate (float64);
/// - `optimizer.state.<name>.step` and `optimizer.state.<name>.<buffer>`: each parameter's step
///   count (uint64) and moments (`exp_avg`, `momentum_buffer`...), named after the parameter;
/// - `schedule.<i>.<Schedule>.<field>`: each schedule's state (float64);
/// - `generator`: the generator's four state words (uint64).
///
/// @code
/// recur::optim::CheckpointParts parts{.model = &model, .optimizer = &opt,
///                                     .schedules = {&warmup}, .generator = &recur::default_generator()};
/// recur::optim::save_checkpoint("run.npz", parts, step);
/// // ... in a new process, after building the same objects:
/// std::uint64_t step = recur::optim::load_checkpoint("run.npz", parts);
/// @endcode
struct CheckpointParts {
  nn::Module* model = nullptr;             ///< The model whose parameters are saved.
  Optimizer* optimizer = nullptr;          ///< Its optimiser (its parameters must be the model's).
  std::vector<Schedule*> schedules = {};   ///< The learning-rate schedules, in a fixed order.
  Generator* generator = nullptr;          ///< The generator for data order, dropout...
  std::string model_prefix = "model.";     ///< Prefix of the parameters' entry names.
};

/// Writes a checkpoint of `parts` at step `step` to `path`, atomically (a temporary file renamed
/// over `path`).
/// @param path The `.npz` to write. @param parts What to save; null parts are left out.
/// @param step The number of steps done, returned by load_checkpoint().
/// @throws recur::ValueError if the optimiser holds a parameter the model does not, recur::IoError
///         if the file cannot be written.
/// @see @ref checkpoints "Checkpoints that resume exactly".
void save_checkpoint(const std::string& path, const CheckpointParts& parts, std::uint64_t step);

/// Loads a checkpoint written by save_checkpoint into `parts` (built the same way as when it was
/// saved) and returns its step number. All or nothing: every name, shape and type is checked
/// first, and recur::IoError lists every missing, unexpected or mismatched entry and every value no
/// run holds (a negative or NaN learning rate, a step count over 2^53 or not a whole number),
/// leaving `parts` untouched.
/// @param path A file written by save_checkpoint(). @param parts Where to load it into.
/// @return The step number saved with it.
/// @throws recur::IoError listing every missing, unexpected or mismatched entry and every value
///         no run holds, or naming an unreadable file; nothing in `parts` has changed then.
std::uint64_t load_checkpoint(const std::string& path, const CheckpointParts& parts);

}  // namespace recur::optim
