/// @file
/// Whole-file reading and atomic whole-file writing, shared by the `.npy` and `.npz` code.
#pragma once

#include <span>
#include <string>
#include <vector>

namespace recur {

/// The whole contents of the file at `path`.
/// @throws recur::IoError naming `what` (the caller's operation, e.g. `load_npy`) and `path` when
///         it cannot be read.
std::vector<unsigned char> read_file(const std::string& path, const char* what);

/// Writes `bytes` to `path` atomically: to a new `<path>.tmp-XXXXXX` in the same folder, flushed
/// to disk, then renamed over `path`. On failure the temporary file is removed, an existing file
/// at `path` is left as it was, and recur::IoError naming `what` and `path` is thrown.
void write_file_atomic(const std::string& path, std::span<const unsigned char> bytes,
                       const char* what);

}  // namespace recur
