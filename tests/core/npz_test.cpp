// .npz archives: NumPy's np.savez and np.savez_compressed files load; NumPy loads ours; damaged
// archives throw naming the file and entry; a failed save leaves the old file as it was.
#include <sys/stat.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <fstream>

#include "core/error.hpp"
#include "core/file_io.hpp"
#include "core/npz.hpp"
#include "io_support.hpp"
#include "support/check.hpp"

using namespace recur;
using recur::test::numpy_fixture;
using recur::test::ScratchDir;

namespace {

std::vector<std::string> names_of(const NpzEntries& entries) {
  std::vector<std::string> names;
  for (const auto& entry : entries) names.push_back(entry.first);
  return names;
}

// several.npz / compressed.npz, written by make_numpy_fixtures.py.
void check_several(const NpzEntries& entries) {
  BOOST_TEST(names_of(entries) == (std::vector<std::string>{"weight", "bias", "ids", "mask", "step"}),
             boost::test_tools::per_element());
  BOOST_REQUIRE_EQUAL(entries.size(), 5u);
  BOOST_TEST(entries[0].second.dtype == DType::float32);
  RECUR_CHECK_CLOSE(entries[0].second.to_tensor(),
                    (Tensor{{0.5f, 1.5f, 2.5f, 3.5f}, {10.5f, 11.5f, 12.5f, 13.5f},
                            {20.5f, 21.5f, 22.5f, 23.5f}}), 0, 0);
  BOOST_TEST(entries[1].second.dtype == DType::float64);
  RECUR_CHECK_CLOSE(entries[1].second.to_tensor(), (Tensor{0.25f, -0.5f, 1.0f}), 0, 0);
  BOOST_TEST(entries[2].second.to_index_tensor() == (IndexTensor{4, 0, 9}));
  BOOST_TEST(entries[3].second.dtype == DType::boolean);
  BOOST_TEST(entries[3].second.to_index_tensor() == (IndexTensor{1, 0, 1}));
  BOOST_TEST(entries[4].second.shape.empty());
  BOOST_TEST(entries[4].second.to_u64() == (std::vector<std::uint64_t>{7}));
}

NpzEntries sample_entries() {
  NpzEntries entries;
  entries.emplace_back("encoder.weight_ih_l0", NpyArray::from_tensor(Tensor{{1.5f, -2.0f, 0.25f}, {3.0f, 4.0f, -0.125f}}));
  entries.emplace_back("encoder.bias_ih_l0", NpyArray::from_tensor(Tensor{0.5f, -1.0f}));
  entries.emplace_back("ids", NpyArray::from_index_tensor(IndexTensor{{3, -1}, {1LL << 45, 0}}));
  entries.emplace_back("rng", NpyArray::from_u64({~0ULL, 42}));
  entries.emplace_back("scalar", NpyArray::from_tensor(Tensor(7.25f)));
  entries.emplace_back("empty", NpyArray::from_tensor(Tensor(Shape{0, 4})));
  return entries;
}

std::size_t count_files(const std::filesystem::path& dir) {
  return static_cast<std::size_t>(std::distance(std::filesystem::directory_iterator(dir),
                                                std::filesystem::directory_iterator()));
}

bool has_temp_file(const std::filesystem::path& dir) {
  for (const auto& item : std::filesystem::directory_iterator(dir))
    if (item.path().filename().string().find(".tmp-") != std::string::npos) return true;
  return false;
}

std::vector<unsigned char> contents(const std::string& path) { return read_file(path, "test"); }

}  // namespace

BOOST_AUTO_TEST_SUITE(npz)

BOOST_AUTO_TEST_CASE(loads_numpy_savez_in_file_order) { check_several(load_npz(numpy_fixture("several.npz"))); }

BOOST_AUTO_TEST_CASE(loads_numpy_savez_compressed) { check_several(load_npz(numpy_fixture("compressed.npz"))); }

BOOST_AUTO_TEST_CASE(round_trips_names_order_dtypes_and_values) {
  ScratchDir dir;
  const NpzEntries entries = sample_entries();
  save_npz(dir.file("model.npz"), entries);
  const NpzEntries loaded = load_npz(dir.file("model.npz"));
  BOOST_TEST(names_of(loaded) == names_of(entries), boost::test_tools::per_element());
  BOOST_REQUIRE_EQUAL(loaded.size(), entries.size());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    BOOST_TEST(loaded[i].second.dtype == entries[i].second.dtype, entries[i].first);
    BOOST_TEST(loaded[i].second.shape == entries[i].second.shape, entries[i].first);
    BOOST_TEST(loaded[i].second.bytes == entries[i].second.bytes, entries[i].first);
    BOOST_TEST(loaded[i].second.source.find("model.npz") != std::string::npos);
  }
  // Entries are stored, not deflated: the raw .npy bytes appear verbatim in the archive.
  const std::vector<unsigned char> archive = contents(dir.file("model.npz"));
  const std::vector<unsigned char> first = serialize_npy(entries[0].second);
  BOOST_TEST((std::search(archive.begin(), archive.end(), first.begin(), first.end()) != archive.end()));
  BOOST_TEST(!has_temp_file(dir.path()));
}

BOOST_AUTO_TEST_CASE(empty_archive_round_trips) {
  ScratchDir dir;
  save_npz(dir.file("empty.npz"), {});
  BOOST_TEST(contents(dir.file("empty.npz")).size() == 22u);  // the end-of-directory record
  BOOST_TEST(load_npz(dir.file("empty.npz")).empty());
}

BOOST_AUTO_TEST_CASE(numpy_reads_what_we_write) {
  if (!recur::test::have_numpy()) {
    BOOST_TEST_MESSAGE("skipped: /usr/bin/python3 with numpy is not available");
    return;
  }
  ScratchDir dir;
  save_npz(dir.file("model.npz"), sample_entries());
  save_npy(dir.file("single.npy"), NpyArray::from_tensor(Tensor{{1.0f, 2.0f}, {3.0f, 4.5f}}));
  save_npz(dir.file("empty.npz"), {});
  std::ofstream(dir.file("check.py")) << R"(import sys
import numpy as np
folder = sys.argv[1]
with np.load(folder + "/model.npz") as z:
    assert list(z.keys()) == ["encoder.weight_ih_l0", "encoder.bias_ih_l0", "ids", "rng",
                              "scalar", "empty"], list(z.keys())
    w = z["encoder.weight_ih_l0"]
    assert w.dtype == np.float32 and w.shape == (2, 3), (w.dtype, w.shape)
    assert (w == np.array([[1.5, -2.0, 0.25], [3.0, 4.0, -0.125]], np.float32)).all(), w
    assert (z["encoder.bias_ih_l0"] == np.array([0.5, -1.0], np.float32)).all()
    ids = z["ids"]
    assert ids.dtype == np.int64 and (ids == np.array([[3, -1], [2**45, 0]])).all(), ids
    rng = z["rng"]
    assert rng.dtype == np.uint64 and rng.tolist() == [2**64 - 1, 42], rng
    assert z["scalar"].shape == () and z["scalar"] == np.float32(7.25)
    assert z["empty"].shape == (0, 4) and z["empty"].dtype == np.float32
single = np.load(folder + "/single.npy")
assert single.dtype == np.float32 and single.tolist() == [[1.0, 2.0], [3.0, 4.5]], single
mapped = np.load(folder + "/single.npy", mmap_mode="r")
assert mapped[1, 1] == 4.5
with np.load(folder + "/empty.npz") as z:
    assert len(z.files) == 0
)";
  const std::string command =
      "/usr/bin/python3 " + dir.file("check.py") + " " + dir.path().string() + " 2>&1";
  BOOST_TEST(std::system(command.c_str()) == 0, "NumPy failed to read our files: " << command);
}

BOOST_AUTO_TEST_CASE(damaged_archives_throw_io_error_naming_file_and_entry) {
  RECUR_CHECK_IO_ERROR(load_npz(numpy_fixture("corrupted.npz")), "corrupted.npz", "weight.npy",
                       "CRC");
  RECUR_CHECK_IO_ERROR(load_npz(numpy_fixture("truncated_entry.npz")), "truncated_entry.npz",
                       "weight.npy", "truncated");
  RECUR_CHECK_IO_ERROR(load_npz(numpy_fixture("foreign_entry.npz")), "foreign_entry.npz",
                       "readme.txt", "not a .npy");
  RECUR_CHECK_IO_ERROR(load_npz(numpy_fixture("not_a_zip.npz")), "not_a_zip.npz", "Not a zip");
  RECUR_CHECK_IO_ERROR(load_npz(numpy_fixture("missing.npz")), "missing.npz", "No such file");
  // An archive cut in half loses its central directory.
  ScratchDir dir;
  const std::vector<unsigned char> whole = contents(numpy_fixture("several.npz"));
  write_file_atomic(dir.file("cut.npz"), std::span(whole).first(whole.size() / 2), "test");
  RECUR_CHECK_IO_ERROR(load_npz(dir.file("cut.npz")), "cut.npz");
}

BOOST_AUTO_TEST_CASE(invalid_names_are_refused) {
  ScratchDir dir;
  NpzEntries twice = sample_entries();
  twice.push_back(twice.front());
  RECUR_CHECK_IO_ERROR(save_npz(dir.file("a.npz"), twice), "a.npz", "encoder.weight_ih_l0", "twice");
  NpzEntries unnamed = {{"", NpyArray::from_tensor(Tensor{1.0f})}};
  RECUR_CHECK_IO_ERROR(save_npz(dir.file("a.npz"), unnamed), "a.npz", "empty name");
  BOOST_TEST(count_files(dir.path()) == 0u);
}

BOOST_AUTO_TEST_CASE(failed_save_leaves_the_old_file_and_no_temporary) {
  ScratchDir dir;
  const std::string target = dir.file("model.npz");
  save_npz(target, sample_entries());
  const std::vector<unsigned char> before = contents(target);

  // A save that fails while building the archive (an inconsistent array) changes nothing.
  NpzEntries bad = sample_entries();
  bad[1].second.bytes.pop_back();
  BOOST_CHECK_THROW(save_npz(target, bad), IoError);
  BOOST_TEST(contents(target) == before);
  BOOST_TEST(count_files(dir.path()) == 1u);

  // A save whose final rename fails (the target is a folder) removes its temporary file.
  std::filesystem::create_directory(dir.file("folder.npz"));
  RECUR_CHECK_IO_ERROR(save_npz(dir.file("folder.npz"), sample_entries()), "folder.npz");
  BOOST_TEST(std::filesystem::is_directory(dir.file("folder.npz")));
  BOOST_TEST(!has_temp_file(dir.path()));

  // A missing folder.
  RECUR_CHECK_IO_ERROR(save_npz(dir.file("no/such/folder/model.npz"), sample_entries()),
                       "no/such/folder/model.npz");

  // An unwritable folder holding the old file (root writes anywhere, so check first).
  ::chmod(dir.path().c_str(), 0555);
  const bool writable = ::access(dir.path().c_str(), W_OK) == 0;
  if (writable) {
    BOOST_TEST_MESSAGE("running as root: the unwritable-folder case cannot be set up, skipped");
  } else {
    RECUR_CHECK_IO_ERROR(save_npz(target, sample_entries()), "model.npz", "Permission denied");
    BOOST_TEST(contents(target) == before);
  }
  ::chmod(dir.path().c_str(), 0755);
  // A place nobody may create files in, even root: /proc. The existing "file" stays readable.
  const std::vector<unsigned char> version_before = contents("/proc/version");
  RECUR_CHECK_IO_ERROR(save_npz("/proc/version", sample_entries()), "save_npz", "/proc/version");
  BOOST_TEST(contents("/proc/version") == version_before);
  BOOST_TEST(!has_temp_file(dir.path()));
  check_several(load_npz(numpy_fixture("several.npz")));  // unrelated files unaffected
  BOOST_TEST(load_npz(target).size() == sample_entries().size());
}

BOOST_AUTO_TEST_SUITE_END()
