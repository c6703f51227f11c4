// .npy reading and writing against files NumPy wrote (tests/fixtures/numpy), byte for byte.
#include <boost/test/unit_test.hpp>
#include <cstring>

#include "core/error.hpp"
#include "core/file_io.hpp"
#include "core/npy.hpp"
#include "core/random.hpp"
#include "io_support.hpp"
#include "support/check.hpp"

using namespace recur;
using recur::test::numpy_fixture;

namespace {

// f32_2d.npy: value = row * 10 + col + 0.5
Tensor f32_2d_values() {
  Tensor expected(Shape{3, 4});
  for (std::size_t row = 0; row < 3; ++row)
    for (std::size_t col = 0; col < 4; ++col) expected(row, col) = row * 10.0f + col + 0.5f;
  return expected;
}

// A .npy file with this header text (padded like NumPy's) and data.
std::vector<unsigned char> make_npy(const std::string& dict, std::size_t data_bytes,
                                    unsigned char major = 1) {
  std::string header = dict;
  const std::size_t prefix = major == 1 ? 10 : 12;
  header.append((64 - (prefix + header.size() + 1) % 64) % 64, ' ');
  header += '\n';
  std::vector<unsigned char> bytes = {0x93, 'N', 'U', 'M', 'P', 'Y', major, 0};
  for (std::size_t i = 0; i < prefix - 8; ++i)
    bytes.push_back(static_cast<unsigned char>(header.size() >> (8 * i)));
  bytes.insert(bytes.end(), header.begin(), header.end());
  bytes.resize(bytes.size() + data_bytes, 0);
  return bytes;
}

std::string header_for(const std::string& descr, const std::string& shape, bool fortran = false) {
  return "{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False") +
         ", 'shape': " + shape + ", }";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(npy)

BOOST_AUTO_TEST_CASE(loads_numpy_float32_matrix) {
  const NpyArray array = load_npy(numpy_fixture("f32_2d.npy"));
  BOOST_TEST(array.dtype == DType::float32);
  BOOST_TEST(array.shape == Shape({3, 4}));
  RECUR_CHECK_CLOSE(array.to_tensor(), f32_2d_values(), 0, 0);
}

BOOST_AUTO_TEST_CASE(loads_numpy_float64_int_bool_and_uint64) {
  const NpyArray f64 = load_npy(numpy_fixture("f64.npy"));
  BOOST_TEST(f64.dtype == DType::float64);
  RECUR_CHECK_CLOSE(f64.to_tensor(), (Tensor{0.001f, 3.14159265f, -2.5f, 1e10f, 0.0f}), 0, 0);

  const NpyArray i64 = load_npy(numpy_fixture("i64.npy"));
  BOOST_TEST(i64.dtype == DType::int64);
  const IndexTensor expected_i64 = {{-3, 0, 7}, {1LL << 40, -(1LL << 40), 1}};
  BOOST_TEST(i64.to_index_tensor() == expected_i64);
  RECUR_CHECK_CLOSE(i64.to_tensor(), (Tensor{{-3, 0, 7}, {0x1p40f, -0x1p40f, 1}}), 0, 0);

  const NpyArray i32 = load_npy(numpy_fixture("i32.npy"));
  BOOST_TEST(i32.dtype == DType::int32);
  BOOST_TEST(i32.to_index_tensor() == (IndexTensor{-2147483648LL, -1, 0, 2147483647}));

  const NpyArray u8 = load_npy(numpy_fixture("u8.npy"));
  BOOST_TEST(u8.dtype == DType::uint8);
  BOOST_TEST(u8.to_index_tensor() == (IndexTensor{0, 1, 127, 255}));

  const NpyArray flags = load_npy(numpy_fixture("bool.npy"));
  BOOST_TEST(flags.dtype == DType::boolean);
  BOOST_TEST(flags.to_index_tensor() == (IndexTensor{{1, 0}, {0, 1}}));
  RECUR_CHECK_CLOSE(flags.to_tensor(), (Tensor{{1, 0}, {0, 1}}), 0, 0);

  const NpyArray u64 = load_npy(numpy_fixture("u64.npy"));
  BOOST_TEST(u64.dtype == DType::uint64);
  const std::vector<std::uint64_t> expected_u64 = {0, 1, (1ULL << 63) + 5, ~0ULL};
  BOOST_TEST(u64.to_u64() == expected_u64);
}

BOOST_AUTO_TEST_CASE(loads_scalar_empty_and_high_rank_arrays) {
  const NpyArray scalar = load_npy(numpy_fixture("scalar.npy"));
  BOOST_TEST(scalar.shape.empty());
  const Tensor value = scalar.to_tensor();
  BOOST_TEST(value.dimension() == 0u);
  BOOST_TEST(value() == 3.5f);

  const NpyArray empty = load_npy(numpy_fixture("empty.npy"));
  BOOST_TEST(empty.shape == Shape({0, 3}));
  BOOST_TEST(empty.bytes.empty());
  BOOST_TEST(empty.to_tensor().size() == 0u);

  // A header length of 182: 128-255 mod 256, which a signed-char reader gets wrong.
  const NpyArray high = load_npy(numpy_fixture("high_rank.npy"));
  BOOST_TEST(high.shape.size() >= 5u);
  BOOST_TEST(high.numel() == 12u);
  const Tensor values = high.to_tensor();
  for (std::size_t i = 0; i < 12; ++i) BOOST_TEST(values.data()[i] == static_cast<float>(i));
}

BOOST_AUTO_TEST_CASE(fortran_order_is_transposed_into_c_order) {
  const NpyArray f2 = load_npy(numpy_fixture("fortran_2d.npy"));
  BOOST_TEST(f2.shape == Shape({3, 4}));
  RECUR_CHECK_CLOSE(f2.to_tensor(), f32_2d_values(), 0, 0);

  // np.arange(24).reshape(2, 3, 4) in Fortran order: C order again is 0, 1, ..., 23.
  const IndexTensor f3 = load_npy(numpy_fixture("fortran_3d.npy")).to_index_tensor();
  BOOST_TEST(f3.shape() == (std::vector<std::size_t>{2, 3, 4}), boost::test_tools::per_element());
  for (std::size_t i = 0; i < 24; ++i) BOOST_TEST(f3.data()[i] == static_cast<std::int64_t>(i));
}

BOOST_AUTO_TEST_CASE(big_endian_files_are_converted) {
  RECUR_CHECK_CLOSE(load_npy(numpy_fixture("big_endian.npy")).to_tensor(), f32_2d_values(), 0, 0);
  const IndexTensor expected = {{-3, 0, 7}, {1LL << 40, -(1LL << 40), 1}};
  BOOST_TEST(load_npy(numpy_fixture("big_endian_i64.npy")).to_index_tensor() == expected);
}

BOOST_AUTO_TEST_CASE(format_versions_2_and_3_load) {
  RECUR_CHECK_CLOSE(load_npy(numpy_fixture("version2.npy")).to_tensor(), f32_2d_values(), 0, 0);
  RECUR_CHECK_CLOSE(load_npy(numpy_fixture("version3.npy")).to_tensor(), f32_2d_values(), 0, 0);
}

BOOST_AUTO_TEST_CASE(writes_the_same_bytes_as_numpy) {
  // NumPy's np.save output (version 1.0, C order) is reproduced byte for byte.
  for (const char* name : {"f32_2d.npy", "f64.npy", "i64.npy", "i32.npy", "u8.npy", "u64.npy",
                           "bool.npy", "scalar.npy", "empty.npy", "high_rank.npy"}) {
    const std::vector<unsigned char> original = read_file(numpy_fixture(name), "test");
    const std::vector<unsigned char> rewritten = serialize_npy(parse_npy(original, name));
    BOOST_TEST(rewritten == original, name << " differs from NumPy's bytes");
  }
}

BOOST_AUTO_TEST_CASE(round_trips_through_writer_and_reader) {
  const std::vector<Shape> shapes = {{}, {0}, {5}, {2, 3}, {3, 0, 2}, {2, 1, 3, 1, 2}};
  for (const Shape& shape : shapes) {
    Tensor tensor(shape);
    for (std::size_t i = 0; i < tensor.size(); ++i) tensor.data()[i] = 0.37f * i - 1.0f;
    const std::vector<unsigned char> bytes = serialize_npy(NpyArray::from_tensor(tensor));
    // The data starts on a 64-byte boundary, as NumPy aligns it.
    BOOST_TEST((bytes.size() - tensor.size() * 4) % 64 == 0u);
    const NpyArray back = parse_npy(bytes, "round trip");
    BOOST_TEST(back.shape == shape);
    RECUR_CHECK_CLOSE(back.to_tensor(), tensor, 0, 0);
  }
  const IndexTensor ids = {{-5, 0}, {1LL << 50, 3}};
  BOOST_TEST(parse_npy(serialize_npy(NpyArray::from_index_tensor(ids)), "ids").to_index_tensor() == ids);
  const std::vector<std::uint64_t> state = {~0ULL, 0, 1ULL << 63, 12345};
  BOOST_TEST(parse_npy(serialize_npy(NpyArray::from_u64(state)), "state").to_u64() == state);
}

BOOST_AUTO_TEST_CASE(save_npy_and_load_npy_round_trip_on_disk) {
  recur::test::ScratchDir dir;
  const Tensor tensor = f32_2d_values();
  save_npy(dir.file("a.npy"), NpyArray::from_tensor(tensor));
  const NpyArray loaded = load_npy(dir.file("a.npy"));
  BOOST_TEST(loaded.source == dir.file("a.npy"));
  RECUR_CHECK_CLOSE(loaded.to_tensor(), tensor, 0, 0);
  // Saving again replaces the file and leaves no temporary behind.
  save_npy(dir.file("a.npy"), NpyArray::from_tensor(tensor * 2.0f));
  RECUR_CHECK_CLOSE(load_npy(dir.file("a.npy")).to_tensor(), Tensor(tensor * 2.0f), 0, 0);
  BOOST_TEST(std::distance(std::filesystem::directory_iterator(dir.path()),
                           std::filesystem::directory_iterator()) == 1);
}

BOOST_AUTO_TEST_CASE(damaged_files_throw_io_error_naming_the_file) {
  RECUR_CHECK_IO_ERROR(load_npy(numpy_fixture("truncated.npy")), "truncated.npy", "truncated",
                       "48 data bytes", "43");
  RECUR_CHECK_IO_ERROR(load_npy(numpy_fixture("truncated_header.npy")), "truncated_header.npy",
                       "truncated");
  RECUR_CHECK_IO_ERROR(load_npy(numpy_fixture("too_long.npy")), "too_long.npy", "too long");
  RECUR_CHECK_IO_ERROR(load_npy(numpy_fixture("wrong_magic.npy")), "wrong_magic.npy", "not a .npy");
  RECUR_CHECK_IO_ERROR(load_npy(numpy_fixture("complex.npy")), "complex.npy", "unsupported dtype",
                       "<c8");
  RECUR_CHECK_IO_ERROR(load_npy(numpy_fixture("structured.npy")), "structured.npy", "structured");
  RECUR_CHECK_IO_ERROR(load_npy(numpy_fixture("no_such_file.npy")), "no_such_file.npy",
                       "No such file");
  RECUR_CHECK_IO_ERROR(load_npy(numpy_fixture("")), "cannot read");  // a directory
}

BOOST_AUTO_TEST_CASE(malformed_headers_throw_io_error) {
  const auto check = [](const std::vector<unsigned char>& bytes, const char* part) {
    RECUR_CHECK_IO_ERROR(parse_npy(bytes, "bad.npy"), "bad.npy", part);
  };
  check(make_npy(header_for("<f4", "(-2, 3)"), 0), "negative dimension");
  check(make_npy(header_for("<f4", "(2, x)"), 24), "malformed header");
  check(make_npy(header_for("<f4", "(99999999999999999999999, 3)"), 0), "too large");
  check(make_npy(header_for("<f8", "(4294967296, 4294967296)"), 0), "too large");
  // Empty (an extent is 0), but the other extents' product, the strides, would overflow.
  check(make_npy(header_for("<f4", "(0, 4294967296, 4294967296)"), 0), "too large");
  check(make_npy(header_for("<f4", "[2, 3]"), 24), "malformed header");
  check(make_npy(header_for("|f4", "(2,)"), 8), "byte order");
  check(make_npy(header_for("<f2", "(2,)"), 4), "unsupported dtype");
  check(make_npy("{'descr': '<f4', 'shape': (2,), }", 8), "lacks");
  check(make_npy(header_for("<f4", "(2,)") + "{", 8), "text after");
  check(make_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'extra': 1}", 8),
        "unexpected key 'extra'");
  check(make_npy("{'descr': '<f4', 'fortran_order': Maybe, 'shape': (2,)}", 8), "True or False");
  check(make_npy("{'descr': '<f4, 'fortran_order': False, 'shape': (2,)}", 8), "malformed");
  std::vector<unsigned char> version4 = make_npy(header_for("<f4", "(2,)"), 8);
  version4[6] = 4;
  check(version4, "version 4.0");
  check({0x93, 'N', 'U', 'M', 'P', 'Y', 2, 0, 1}, "truncated");
  // Spacing and a missing trailing comma are fine, as for Python's literal_eval.
  const NpyArray loose = parse_npy(
      make_npy("{ \"shape\" : ( 2 , 3 ) , \"fortran_order\":False,'descr':'<i4'}", 24, 2), "ok");
  BOOST_TEST(loose.shape == Shape({2, 3}));
  BOOST_TEST(loose.dtype == DType::int32);
}

BOOST_AUTO_TEST_CASE(random_damage_gives_io_error_or_a_consistent_array) {
  // Flipped header bytes and cuts at every length: either IoError or an array whose byte count
  // matches its shape, never another exception (or, under a sanitizer, a bad read).
  const std::vector<unsigned char> good = read_file(numpy_fixture("high_rank.npy"), "test");
  Generator gen(77);
  int io_errors = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    std::vector<unsigned char> bytes = good;
    if (trial < static_cast<int>(good.size())) {
      bytes.resize(static_cast<std::size_t>(trial));
    } else {
      for (int flips = 0; flips < 3; ++flips)
        bytes[gen.below(128)] = static_cast<unsigned char>(gen.below(256));
    }
    try {
      const NpyArray array = parse_npy(bytes, "damaged.npy");
      BOOST_TEST(array.bytes.size() == array.numel() * dtype_size(array.dtype));
    } catch (const IoError& error) {
      ++io_errors;
      BOOST_TEST(std::string(error.what()).find("damaged.npy") != std::string::npos);
    }
  }
  BOOST_TEST(io_errors > 2000);
}

BOOST_AUTO_TEST_CASE(integer_conversions_refuse_floats_and_out_of_range_values) {
  NpyArray floats = load_npy(numpy_fixture("f32_2d.npy"));
  RECUR_CHECK_IO_ERROR(floats.to_index_tensor(), "f32_2d.npy", "floating point");
  RECUR_CHECK_IO_ERROR(floats.to_u64(), "f32_2d.npy", "floating point");
  RECUR_CHECK_IO_ERROR(load_npy(numpy_fixture("u64.npy")).to_index_tensor(), "u64.npy",
                       "9223372036854775813", "int64 range");
  RECUR_CHECK_IO_ERROR(load_npy(numpy_fixture("i64.npy")).to_u64(), "i64.npy", "negative", "-3");
  // Non-negative signed integers are accepted as unsigned.
  BOOST_TEST(NpyArray::from_index_tensor(IndexTensor{3, 4}).to_u64() ==
             (std::vector<std::uint64_t>{3, 4}));
  NpyArray inconsistent = NpyArray::from_tensor(Tensor{1.0f, 2.0f});
  inconsistent.bytes.pop_back();
  RECUR_CHECK_IO_ERROR(inconsistent.to_tensor(), "holds 7 bytes instead of 8");
  BOOST_CHECK_THROW(serialize_npy(inconsistent), IoError);
}

BOOST_AUTO_TEST_CASE(dtype_names_match_numpy) {
  BOOST_TEST(std::string(dtype_name(DType::boolean)) == "bool");
  BOOST_TEST(std::string(dtype_descr(DType::uint8)) == "|u1");
  BOOST_TEST(std::string(dtype_descr(DType::uint64)) == "<u8");
  BOOST_TEST(dtype_size(DType::float64) == 8u);
}

BOOST_AUTO_TEST_SUITE_END()
