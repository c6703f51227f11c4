// Where the optimiser fixtures are ($RECUR_FIXTURE_DIR/optim, or the committed ones), and
// reading an .npz into a map.
#pragma once

#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "core/npz.hpp"

namespace recur::test {

/// The folder of the optimiser fixtures: $RECUR_FIXTURE_DIR/optim when the variable is set
/// (fixtures regenerated with another seed), tests/fixtures/optim otherwise.
inline std::filesystem::path optim_fixture_dir() {
  const char* override_dir = std::getenv("RECUR_FIXTURE_DIR");
  const std::filesystem::path root = override_dir && *override_dir
                                         ? std::filesystem::path(override_dir)
                                         : std::filesystem::path(RECUR_SOURCE_DIR) / "tests" / "fixtures";
  return root / "optim";
}

/// Every array of an .npz file by name.
inline std::map<std::string, NpyArray> load_npz_map(const std::filesystem::path& path) {
  std::map<std::string, NpyArray> entries;
  for (auto& [name, array] : load_npz(path.string())) entries.emplace(name, std::move(array));
  return entries;
}

/// The entry `name` of a fixture; fails the test naming the file and the entry when missing.
inline const NpyArray& entry(const std::map<std::string, NpyArray>& entries, const std::string& name,
                             const std::string& file) {
  const auto found = entries.find(name);
  if (found == entries.end()) BOOST_FAIL(file + " has no entry '" + name + "'");
  return found->second;
}

/// The values of a float64 array, exactly (to_tensor() would round them to float32).
inline std::vector<double> as_doubles(const NpyArray& array) {
  if (array.dtype != DType::float64) BOOST_FAIL(array.source + " is not float64");
  std::vector<double> values(array.numel());
  std::memcpy(values.data(), array.bytes.data(), values.size() * sizeof(double));
  return values;
}

}  // namespace recur::test
