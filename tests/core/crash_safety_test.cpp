// A save that fails part-way (the disk fills up) leaves the previous file intact and loadable,
// and no temporary file behind.
#include <boost/test/unit_test.hpp>

#include <filesystem>

#include "core/error.hpp"
#include "core/npy.hpp"
#include "core/npz.hpp"
#include "core/random.hpp"
#include "core/tensor.hpp"
#include "io_support.hpp"
#include "support/write_limit.hpp"

using namespace recur;

namespace {

std::size_t files_in(const std::filesystem::path& folder) {
  std::size_t count = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(folder)) ++count;
  return count;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(crash_safety)

BOOST_AUTO_TEST_CASE(npz_save_failing_part_way_keeps_previous_archive) {
  test::ScratchDir scratch;
  const std::string path = scratch.file("model.npz");
  Generator generator(3);
  const Tensor old_weight = generator.uniform({16, 16}, -1.0f, 1.0f);
  save_npz(path, {{"weight", NpyArray::from_tensor(old_weight)}});
  const auto old_size = std::filesystem::file_size(path);

  // The new archive is ~256 KiB; the limit lets 64 KiB of it reach the disk, then writes fail.
  const Tensor new_weight = generator.uniform({256, 256}, -1.0f, 1.0f);
  {
    test::FileSizeLimit limit(64 * 1024);
    BOOST_CHECK_THROW(save_npz(path, {{"weight", NpyArray::from_tensor(new_weight)}}), IoError);
  }
  BOOST_TEST(std::filesystem::file_size(path) == old_size);
  BOOST_TEST(files_in(scratch.path()) == 1u);  // the half-written temporary file is gone
  const NpzEntries loaded = load_npz(path);
  BOOST_TEST_REQUIRE(loaded.size() == 1u);
  BOOST_TEST((loaded[0].second.to_tensor() == old_weight));

  // Once there is room again the same save goes through.
  save_npz(path, {{"weight", NpyArray::from_tensor(new_weight)}});
  BOOST_TEST((load_npz(path)[0].second.to_tensor() == new_weight));
}

BOOST_AUTO_TEST_CASE(npy_save_failing_part_way_keeps_previous_file) {
  test::ScratchDir scratch;
  const std::string path = scratch.file("state.npy");
  const Tensor old_value = full({4}, 2.0f);
  save_npy(path, NpyArray::from_tensor(old_value));
  {
    test::FileSizeLimit limit(4096);
    BOOST_CHECK_THROW(save_npy(path, NpyArray::from_tensor(zeros({64, 64}))), IoError);
  }
  BOOST_TEST((load_npy(path).to_tensor() == old_value));
  BOOST_TEST(files_in(scratch.path()) == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
