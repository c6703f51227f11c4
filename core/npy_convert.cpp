// Conversions between NpyArray's raw little-endian bytes and recur's tensors.
#include <bit>
#include <cstring>
#include <limits>
#include <ostream>

#include "core/error.hpp"
#include "core/npy.hpp"

namespace recur {

// The bytes are little-endian and are copied straight into native values.
static_assert(std::endian::native == std::endian::little, "recur's .npy code assumes a little-endian machine");

std::size_t dtype_size(DType dtype) {
  switch (dtype) {
    case DType::float32: return 4;
    case DType::float64: return 8;
    case DType::int32: return 4;
    case DType::int64: return 8;
    case DType::uint8: return 1;
    case DType::boolean: return 1;
    case DType::uint64: return 8;
  }
  return 0;
}

const char* dtype_name(DType dtype) {
  switch (dtype) {
    case DType::float32: return "float32";
    case DType::float64: return "float64";
    case DType::int32: return "int32";
    case DType::int64: return "int64";
    case DType::uint8: return "uint8";
    case DType::boolean: return "bool";
    case DType::uint64: return "uint64";
  }
  return "?";
}

std::ostream& operator<<(std::ostream& out, DType dtype) { return out << dtype_name(dtype); }

const char* dtype_descr(DType dtype) {
  switch (dtype) {
    case DType::float32: return "<f4";
    case DType::float64: return "<f8";
    case DType::int32: return "<i4";
    case DType::int64: return "<i8";
    case DType::uint8: return "|u1";
    case DType::boolean: return "|b1";
    case DType::uint64: return "<u8";
  }
  return "?";
}

namespace {

bool is_floating(DType dtype) { return dtype == DType::float32 || dtype == DType::float64; }

// Calls `store(i, value)` for every element, `value` in the array's own C++ type (booleans as
// 0 or 1 in an unsigned char, since a bool byte other than 0 or 1 is not a valid C++ bool).
template <class Store>
void for_each_value(const NpyArray& array, Store&& store) {
  auto visit = [&]<class T>(T) {
    const std::size_t count = array.bytes.size() / sizeof(T);
    for (std::size_t i = 0; i < count; ++i) {
      T value;
      std::memcpy(&value, array.bytes.data() + i * sizeof(T), sizeof(T));
      if (array.dtype == DType::boolean) value = value != 0;
      store(i, value);
    }
  };
  switch (array.dtype) {
    case DType::float32: return visit(float{});
    case DType::float64: return visit(double{});
    case DType::int32: return visit(std::int32_t{});
    case DType::int64: return visit(std::int64_t{});
    case DType::uint8: return visit(std::uint8_t{});
    case DType::boolean: return visit(std::uint8_t{});
    case DType::uint64: return visit(std::uint64_t{});
  }
}

// "model.npz (entry 'weight.npy')" or "an in-memory array".
std::string describe(const NpyArray& array) {
  return (array.source.empty() ? std::string("an in-memory array") : array.source) + " (" +
         dtype_name(array.dtype) + ", shape " + shape_str(array.shape) + ")";
}

void require_size(const NpyArray& array, const char* what) {
  if (array.bytes.size() != array.numel() * dtype_size(array.dtype))
    throw IoError(std::string(what) + ": " + describe(array) + " holds " +
                  std::to_string(array.bytes.size()) + " bytes instead of " +
                  std::to_string(array.numel() * dtype_size(array.dtype)));
}

template <class T>
std::vector<unsigned char> raw_bytes(const T* data, std::size_t count) {
  const auto* first = reinterpret_cast<const unsigned char*>(data);
  return std::vector<unsigned char>(first, first + count * sizeof(T));
}

}  // namespace

Tensor NpyArray::to_tensor() const {
  require_size(*this, "to_tensor");
  Tensor tensor(shape);
  float* out = tensor.data();
  for_each_value(*this, [&](std::size_t i, auto value) { out[i] = static_cast<float>(value); });
  return tensor;
}

IndexTensor NpyArray::to_index_tensor() const {
  require_size(*this, "to_index_tensor");
  if (is_floating(dtype))
    throw IoError("to_index_tensor: " + describe(*this) +
                  " holds floating point values; expected an integer or bool array");
  IndexTensor tensor(shape);
  std::int64_t* out = tensor.data();
  for_each_value(*this, [&](std::size_t i, auto value) {
    if constexpr (std::is_same_v<decltype(value), std::uint64_t>) {
      if (value > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        throw IoError("to_index_tensor: " + describe(*this) + " holds " + std::to_string(value) +
                      " at element " + std::to_string(i) + ", beyond the int64 range");
    }
    out[i] = static_cast<std::int64_t>(value);
  });
  return tensor;
}

std::vector<std::uint64_t> NpyArray::to_u64() const {
  require_size(*this, "to_u64");
  if (is_floating(dtype))
    throw IoError("to_u64: " + describe(*this) +
                  " holds floating point values; expected an unsigned integer array");
  std::vector<std::uint64_t> values(numel());
  for_each_value(*this, [&](std::size_t i, auto value) {
    if constexpr (std::is_signed_v<decltype(value)>) {
      if (value < 0)
        throw IoError("to_u64: " + describe(*this) + " holds the negative value " +
                      std::to_string(value) + " at element " + std::to_string(i));
    }
    values[i] = static_cast<std::uint64_t>(value);
  });
  return values;
}

NpyArray NpyArray::from_tensor(const Tensor& tensor) {
  // xt::xarray is contiguous and row-major, so its buffer is already in C order.
  return NpyArray{.dtype = DType::float32,
                  .shape = Shape(tensor.shape().begin(), tensor.shape().end()),
                  .bytes = raw_bytes(tensor.data(), tensor.size())};
}

NpyArray NpyArray::from_index_tensor(const IndexTensor& tensor) {
  return NpyArray{.dtype = DType::int64,
                  .shape = Shape(tensor.shape().begin(), tensor.shape().end()),
                  .bytes = raw_bytes(tensor.data(), tensor.size())};
}

NpyArray NpyArray::from_u64(const std::vector<std::uint64_t>& values) {
  return NpyArray{.dtype = DType::uint64,
                  .shape = Shape{values.size()},
                  .bytes = raw_bytes(values.data(), values.size())};
}

}  // namespace recur
