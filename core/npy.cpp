// The .npy container: magic, version, header length, a Python dict literal as header, then the
// raw data. Every field is checked here (xt::load_npy trusts them; see STACK.md).
//
//   "\x93NUMPY" major minor  header_len (u16 for 1.0, u32 for 2.0/3.0, little-endian)
//   "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }" spaces "\n"   data...
#include "core/npy.hpp"

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <limits>
#include <optional>

#include "core/error.hpp"
#include "core/file_io.hpp"

namespace recur {
namespace {

constexpr unsigned char magic[] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
constexpr std::size_t magic_size = sizeof(magic);

// What the header dict says.
struct Header {
  DType dtype = DType::float32;
  bool big_endian = false;
  bool fortran_order = false;
  Shape shape;
};

[[noreturn]] void fail(const std::string& source, const std::string& message) {
  throw IoError("cannot load " + source + ": " + message);
}

// Maps a NumPy descriptor ('<f4', '|b1', '>i8') to a dtype and byte order.
void parse_descr(const std::string& descr, Header& header, const std::string& source) {
  std::string body = descr;
  char order = '=';
  if (!body.empty() && std::strchr("<>|=", body[0]) != nullptr) {
    order = body[0];
    body.erase(0, 1);
  }
  static constexpr struct { const char* code; DType dtype; } known[] = {
      {"f4", DType::float32}, {"f8", DType::float64}, {"i4", DType::int32},
      {"i8", DType::int64},   {"u1", DType::uint8},   {"b1", DType::boolean},
      {"u8", DType::uint64}};
  const auto match = std::find_if(std::begin(known), std::end(known),
                                  [&](const auto& entry) { return body == entry.code; });
  if (match == std::end(known))
    fail(source, "unsupported dtype '" + descr +
                     "' (supported: float32 '<f4', float64 '<f8', int32 '<i4', int64 '<i8', "
                     "uint8 '|u1', bool '|b1', uint64 '<u8')");
  header.dtype = match->dtype;
  const bool one_byte = dtype_size(header.dtype) == 1;
  if (order == '|' && !one_byte)
    fail(source, "dtype '" + descr + "' has no byte order ('|') but elements of " +
                     std::to_string(dtype_size(header.dtype)) + " bytes");
  // '=' is the writer's native order: NumPy only writes it for machines like this one.
  header.big_endian = order == '>' && !one_byte;
}

// A reader of the small subset of Python literals a .npy header uses: a dict with string keys,
// whose values are strings, True/False and tuples of non-negative integers.
class HeaderParser {
 public:
  HeaderParser(std::string_view text, const std::string& source) : text_(text), source_(source) {}

  Header parse() {
    std::optional<std::string> descr;
    std::optional<bool> fortran_order;
    std::optional<Shape> shape;
    expect('{');
    while (!accept('}')) {
      const std::string key = string_literal();
      expect(':');
      if (key == "descr") {
        if (peek() != '\'' && peek() != '"')
          fail(source_, "the header's 'descr' is not a simple dtype string (structured arrays "
                        "are not supported): " + std::string(text_));
        descr = string_literal();
      } else if (key == "fortran_order") {
        fortran_order = boolean_literal();
      } else if (key == "shape") {
        shape = shape_literal();
      } else {
        fail(source_, "unexpected key '" + key + "' in the header " + quoted_header());
      }
      if (!accept(',')) {
        expect('}');
        break;
      }
    }
    skip_space();
    if (pos_ != text_.size()) fail(source_, "text after the header dict: " + quoted_header());
    if (!descr || !fortran_order || !shape)
      fail(source_, "the header lacks one of 'descr', 'fortran_order', 'shape': " + quoted_header());
    Header header;
    parse_descr(*descr, header, source_);
    header.fortran_order = *fortran_order;
    header.shape = std::move(*shape);
    return header;
  }

 private:
  std::string quoted_header() const {
    std::string header(text_);
    while (!header.empty() && (header.back() == ' ' || header.back() == '\n')) header.pop_back();
    return header;
  }

  [[noreturn]] void malformed(const std::string& what) const {
    fail(source_, "malformed header (" + what + " at offset " + std::to_string(pos_) + "): " +
                      quoted_header());
  }

  void skip_space() {
    while (pos_ < text_.size() && std::strchr(" \t\r\n", text_[pos_]) != nullptr) ++pos_;
  }
  char peek() {
    skip_space();
    return pos_ < text_.size() ? text_[pos_] : '\0';
  }
  bool accept(char c) {
    if (peek() != c) return false;
    ++pos_;
    return true;
  }
  void expect(char c) {
    if (!accept(c)) malformed(std::string("expected '") + c + "'");
  }

  std::string string_literal() {
    const char quote = peek();
    if (quote != '\'' && quote != '"') malformed("expected a string");
    const std::size_t end = text_.find(quote, pos_ + 1);
    if (end == std::string_view::npos) malformed("unterminated string");
    std::string value(text_.substr(pos_ + 1, end - pos_ - 1));
    pos_ = end + 1;
    return value;
  }

  bool boolean_literal() {
    skip_space();
    for (const auto& [word, value] : {std::pair{"True", true}, std::pair{"False", false}}) {
      if (text_.substr(pos_, std::strlen(word)) == word) {
        pos_ += std::strlen(word);
        return value;
      }
    }
    malformed("expected True or False");
  }

  // "()", "(3,)", "(2, 3)", "(2, 3,)"
  Shape shape_literal() {
    expect('(');
    Shape shape;
    while (!accept(')')) {
      skip_space();
      if (pos_ < text_.size() && text_[pos_] == '-')
        fail(source_, "negative dimension in the shape: " + quoted_header());
      if (pos_ >= text_.size() || text_[pos_] < '0' || text_[pos_] > '9')
        malformed("expected a dimension");
      std::size_t extent = 0;
      while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
        const std::size_t digit = static_cast<std::size_t>(text_[pos_] - '0');
        if (extent > (std::numeric_limits<std::size_t>::max() - digit) / 10)
          fail(source_, "a dimension of the shape is too large: " + quoted_header());
        extent = extent * 10 + digit;
        ++pos_;
      }
      shape.push_back(extent);
      if (!accept(',')) {
        expect(')');
        break;
      }
    }
    // Python writes a 1-tuple as "(3,)"; "(3)" is just the integer 3, which NumPy rejects too.
    return shape;
  }

  std::string_view text_;
  const std::string& source_;
  std::size_t pos_ = 0;
};

std::uint32_t read_le(const unsigned char* data, std::size_t count) {
  std::uint32_t value = 0;
  for (std::size_t i = 0; i < count; ++i) value |= static_cast<std::uint32_t>(data[i]) << (8 * i);
  return value;
}

// Reorders Fortran-order (first index fastest) elements into C order (last index fastest).
std::vector<unsigned char> fortran_to_c(std::span<const unsigned char> data, const Shape& shape,
                                        std::size_t item_size) {
  std::vector<unsigned char> result(data.size());
  const std::size_t rank = shape.size(), count = shape_numel(shape);
  if (count == 0) return result;
  Shape fortran_stride(rank, 1);
  for (std::size_t axis = 1; axis < rank; ++axis)
    fortran_stride[axis] = fortran_stride[axis - 1] * shape[axis - 1];
  // Walk the C-order index like an odometer, keeping the Fortran offset in step with it.
  Shape index(rank, 0);
  std::size_t fortran_offset = 0;
  for (std::size_t c_offset = 0; c_offset < count; ++c_offset) {
    std::memcpy(result.data() + c_offset * item_size, data.data() + fortran_offset * item_size,
                item_size);
    for (std::size_t axis = rank; axis-- > 0;) {
      fortran_offset += fortran_stride[axis];
      if (++index[axis] < shape[axis]) break;
      fortran_offset -= fortran_stride[axis] * shape[axis];
      index[axis] = 0;
    }
  }
  return result;
}

std::string shape_repr(const Shape& shape) {
  std::string text = "(";
  for (std::size_t axis = 0; axis < shape.size(); ++axis) {
    if (axis > 0) text += ", ";
    text += std::to_string(shape[axis]);
  }
  return text + (shape.size() == 1 ? ",)" : ")");
}

}  // namespace

NpyArray parse_npy(std::span<const unsigned char> bytes, const std::string& source) {
  if (bytes.size() < magic_size + 2 || !std::equal(magic, magic + magic_size, bytes.begin()))
    fail(source, "not a .npy file (it does not start with \"\\x93NUMPY\")");
  const unsigned major = bytes[magic_size], minor = bytes[magic_size + 1];
  if (major < 1 || major > 3 || minor != 0)
    fail(source, "unsupported .npy format version " + std::to_string(major) + "." +
                     std::to_string(minor) + " (supported: 1.0, 2.0, 3.0)");
  // Version 1.0 stores the header length in 2 bytes, 2.0 and 3.0 in 4; both unsigned.
  const std::size_t length_size = major == 1 ? 2 : 4;
  const std::size_t prefix = magic_size + 2 + length_size;
  if (bytes.size() < prefix) fail(source, "truncated: the file ends inside the header length");
  const std::size_t header_length = read_le(bytes.data() + magic_size + 2, length_size);
  if (bytes.size() - prefix < header_length)
    fail(source, "truncated: the header should be " + std::to_string(header_length) +
                     " bytes but the file ends after " + std::to_string(bytes.size() - prefix));
  const std::string_view header_text(reinterpret_cast<const char*>(bytes.data() + prefix),
                                     header_length);
  const Header header = HeaderParser(header_text, source).parse();

  // The data must be exactly as long as the shape says: no more, no less, and no overflow. The
  // product of the non-zero extents must fit a signed 64-bit integer even when an extent is 0
  // and the array empty: the tensor's strides are those products (xtensor computes them in
  // signed integers, and a fuzzer found (0, 11, ..., 111511, ...) overflowing them).
  const std::size_t item_size = dtype_size(header.dtype);
  const auto largest = static_cast<std::size_t>(std::numeric_limits<std::ptrdiff_t>::max());
  std::size_t expected = item_size;
  bool empty = false;
  for (std::size_t extent : header.shape) {
    if (extent == 0) {
      empty = true;
      continue;
    }
    if (expected > largest / extent)
      fail(source, "the shape " + shape_str(header.shape) + " is too large");
    expected *= extent;
  }
  if (empty) expected = 0;
  const std::size_t actual = bytes.size() - prefix - header_length;
  if (actual != expected)
    fail(source, std::string(actual < expected ? "truncated" : "too long") + ": a " +
                     dtype_name(header.dtype) + " array of shape " + shape_str(header.shape) +
                     " needs " + std::to_string(expected) + " data bytes, the file has " +
                     std::to_string(actual));

  NpyArray array;
  array.dtype = header.dtype;
  array.shape = header.shape;
  array.source = source;
  const auto data = bytes.subspan(prefix + header_length);
  if (header.fortran_order && header.shape.size() > 1)
    array.bytes = fortran_to_c(data, header.shape, item_size);
  else
    array.bytes.assign(data.begin(), data.end());
  if (header.big_endian)
    for (std::size_t offset = 0; offset < array.bytes.size(); offset += item_size)
      std::reverse(array.bytes.begin() + offset, array.bytes.begin() + offset + item_size);
  return array;
}

std::vector<unsigned char> serialize_npy(const NpyArray& array) {
  if (array.bytes.size() != array.numel() * dtype_size(array.dtype))
    throw IoError("save_npy: " + std::string(dtype_name(array.dtype)) + " array of shape " +
                  shape_str(array.shape) + " should hold " +
                  std::to_string(array.numel() * dtype_size(array.dtype)) + " bytes but holds " +
                  std::to_string(array.bytes.size()));
  // The dict exactly as NumPy (>= 1.23) writes it: sorted keys, Python reprs, then spare spaces
  // so the first axis can grow in place, then padding to a multiple of 64 and a newline.
  std::string header = std::string("{'descr': '") + dtype_descr(array.dtype) +
                       "', 'fortran_order': False, 'shape': " + shape_repr(array.shape) + ", }";
  constexpr std::size_t growth_axis_max_digits = 21;
  if (!array.shape.empty())
    header.append(growth_axis_max_digits - std::to_string(array.shape[0]).size(), ' ');
  // Version 1.0 unless the header outgrows its 2-byte length (NumPy does the same).
  const bool version2 = magic_size + 2 + 2 + header.size() + 1 > 65535;
  const std::size_t prefix = magic_size + 2 + (version2 ? 4 : 2);
  const std::size_t unpadded = prefix + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header += '\n';

  std::vector<unsigned char> bytes(magic, magic + magic_size);
  bytes.push_back(version2 ? 2 : 1);
  bytes.push_back(0);
  for (std::size_t i = 0; i < (version2 ? 4u : 2u); ++i)
    bytes.push_back(static_cast<unsigned char>(header.size() >> (8 * i)));
  bytes.insert(bytes.end(), header.begin(), header.end());
  bytes.insert(bytes.end(), array.bytes.begin(), array.bytes.end());
  return bytes;
}

NpyArray load_npy(const std::string& path) { return parse_npy(read_file(path, "load_npy"), path); }

void save_npy(const std::string& path, const NpyArray& array) {
  write_file_atomic(path, serialize_npy(array), "save_npy");
}

}  // namespace recur
