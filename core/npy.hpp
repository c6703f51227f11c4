/// @file
/// NumPy's `.npy` format: arrays that NumPy wrote load here, and NumPy loads what we write.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <span>
#include <string>
#include <vector>

#include "core/shape.hpp"
#include "core/tensor.hpp"

namespace recur {

/// The element types a `.npy` file may hold here (NumPy's `<f4`, `<f8`, `<i4`, `<i8`, `|u1`,
/// `|b1`, `<u8`). Big-endian files are converted to little-endian on load.
enum class DType {
  float32,  ///< `<f4`, 4 bytes; recur::Tensor's type.
  float64,  ///< `<f8`, 8 bytes.
  int32,    ///< `<i4`, 4 bytes.
  int64,    ///< `<i8`, 8 bytes; recur::IndexTensor's type.
  uint8,    ///< `|u1`, 1 byte.
  boolean,  ///< `|b1`, 1 byte, 0 or 1.
  uint64,   ///< `<u8`, 8 bytes.
};

/// Bytes per element: 4 for float32, 1 for boolean.
std::size_t dtype_size(DType dtype);

/// NumPy's name of the type, for messages: `float32`, `int64`, `bool`.
const char* dtype_name(DType dtype);

/// Writes dtype_name(dtype), so a DType can appear in messages and test output.
std::ostream& operator<<(std::ostream& out, DType dtype);

/// NumPy's little-endian descriptor of the type, as written in a header: `<f4`, `|b1`.
const char* dtype_descr(DType dtype);

/// An array as stored in a `.npy` file: its element type, its shape and its elements as raw
/// little-endian bytes in C (row-major) order, whatever order the file used.
///
/// @code
/// recur::NpyArray array = recur::load_npy("weights.npy");
/// recur::Tensor w = array.to_tensor();          // float32, whatever the file's numeric type
/// recur::save_npy("copy.npy", recur::NpyArray::from_tensor(w));
/// @endcode
struct NpyArray {
  DType dtype = DType::float32;  ///< element type of `bytes`
  Shape shape = {};              ///< extent along each axis; empty for a 0-d scalar
  std::vector<unsigned char> bytes = {};  ///< shape_numel(shape) * dtype_size(dtype) bytes, C order
  /// Where the array came from (`model.npz: weight`), named by conversion errors; empty when
  /// the array was built in memory.
  std::string source = {};

  /// Number of elements (1 for a 0-d scalar).
  std::size_t numel() const { return shape_numel(shape); }

  /// The values as a float32 Tensor of the same shape; any dtype converts (float64 rounds,
  /// large integers lose precision, booleans become 0 or 1).
  Tensor to_tensor() const;
  /// The values as int64; integer and boolean dtypes only.
  /// @throws recur::IoError for floating point arrays and for uint64 values above the int64 range.
  IndexTensor to_index_tensor() const;
  /// The values as unsigned 64-bit integers (an RNG state); uint64 or non-negative values of
  /// another integer dtype.
  /// @throws recur::IoError for a floating-point array or a negative value.
  std::vector<std::uint64_t> to_u64() const;

  /// A float32 array holding a copy of `tensor`.
  static NpyArray from_tensor(const Tensor& tensor);
  /// An int64 array holding a copy of `tensor`.
  static NpyArray from_index_tensor(const IndexTensor& tensor);
  /// A 1-D uint64 array holding `values` (an RNG state, a step counter).
  static NpyArray from_u64(const std::vector<std::uint64_t>& values);
};

/// Parses the bytes of a `.npy` file (versions 1.0, 2.0 and 3.0). Checks the magic, the header,
/// the dtype and that the data is exactly as long as the shape says; converts big-endian and
/// Fortran-order data.
/// @throws recur::IoError naming `source` (a path or `file.npz: entry`).
NpyArray parse_npy(std::span<const unsigned char> bytes, const std::string& source);

/// The bytes NumPy's `np.save` would write for `array`: version 1.0, the header padded with
/// spaces so the data starts at a multiple of 64 bytes.
std::vector<unsigned char> serialize_npy(const NpyArray& array);

/// Reads a `.npy` file.
/// @throws recur::IoError naming `path` when it is missing or malformed.
NpyArray load_npy(const std::string& path);

/// Writes a `.npy` file atomically (a temporary file renamed over `path`); throws
/// recur::IoError naming `path`, leaving any existing file intact, when it cannot.
void save_npy(const std::string& path, const NpyArray& array);

}  // namespace recur
