// libFuzzer target: any bytes given to parse_npy either parse into an array whose byte count
// matches its shape and dtype, or throw recur::IoError. Anything else (a crash, another
// exception, a sanitizer report) is a finding.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "core/error.hpp"
#include "core/npy.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const recur::NpyArray array =
        recur::parse_npy(std::span<const unsigned char>(data, size), "fuzz.npy");
    if (array.bytes.size() != array.numel() * recur::dtype_size(array.dtype)) std::abort();
    // Converting exercises the dtype and endianness code on what was parsed.
    if (array.numel() <= (1u << 16)) {
      const recur::Tensor tensor = array.to_tensor();
      if (tensor.size() != array.numel()) std::abort();
    }
  } catch (const recur::IoError&) {
    // the expected outcome for a damaged file
  }
  return 0;
}
