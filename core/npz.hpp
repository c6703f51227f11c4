/// @file
/// NumPy's `.npz` format: a zip archive with one `name.npy` entry per array, as `np.savez`
/// writes and `np.load` reads.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/npy.hpp"

namespace recur {

/// The arrays of an archive with their names (without the `.npy` suffix), in file order.
using NpzEntries = std::vector<std::pair<std::string, NpyArray>>;

/// Reads every array of an `.npz` file, stored or deflated (`np.savez_compressed`).
/// All or nothing: throws recur::IoError naming the path (and the entry) when the file is
/// missing, not a zip archive, or holds a damaged or unsupported entry.
///
/// @code
/// for (const auto& [name, array] : recur::load_npz("model.npz"))
///   std::cout << name << " " << recur::shape_str(array.shape) << "\n";
/// @endcode
NpzEntries load_npz(const std::string& path);

/// Writes `entries` as an `.npz` file that `np.load` reads, each stored uncompressed as
/// `name.npy`. Atomic: the archive goes to a temporary file next to `path` that is then renamed
/// over it; on failure the temporary file is removed, an existing file stays intact and
/// recur::IoError is thrown. Names must be non-empty and distinct.
void save_npz(const std::string& path, const NpzEntries& entries);

}  // namespace recur
