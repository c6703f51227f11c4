// libFuzzer target: any bytes saved as a file and given to load_npz either load (every entry
// consistent with its shape and dtype) or throw recur::IoError. The input goes through a file
// because load_npz reads a path; /dev/shm keeps that in memory where it exists.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "core/error.hpp"
#include "core/npz.hpp"

namespace {

std::string scratch_path() {
  const char* folder = std::filesystem::is_directory("/dev/shm") ? "/dev/shm" : "/tmp";
  return std::string(folder) + "/recur_fuzz_npz_" + std::to_string(::getpid()) + ".npz";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string path = scratch_path();
  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr) std::abort();
  if (size > 0 && std::fwrite(data, 1, size, file) != size) std::abort();
  std::fclose(file);
  try {
    for (const auto& [name, array] : recur::load_npz(path)) {
      if (name.empty()) std::abort();
      if (array.bytes.size() != array.numel() * recur::dtype_size(array.dtype)) std::abort();
    }
  } catch (const recur::IoError&) {
    // the expected outcome for a damaged archive
  }
  std::remove(path.c_str());
  return 0;
}
