// Reading the PyTorch reference fixtures that tests/fixtures/gen_*.py write.
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

/// The folder of one family of fixtures (`layers`, `ops`, `optim`, `modules`):
/// $RECUR_FIXTURE_DIR/<family> when the variable is set (fixtures regenerated with another
/// seed), tests/fixtures/<family> otherwise.
inline std::filesystem::path fixture_dir(const std::string& family) {
  const char* override_dir = std::getenv("RECUR_FIXTURE_DIR");
  if (override_dir != nullptr && *override_dir != '\0')
    return std::filesystem::path(override_dir) / family;
  return std::filesystem::path(RECUR_SOURCE_DIR) / "tests" / "fixtures" / family;
}

/// Every array of an .npz file by name.
inline std::map<std::string, NpyArray> load_npz_map(const std::filesystem::path& path) {
  std::map<std::string, NpyArray> entries;
  for (auto& [name, array] : load_npz(path.string())) entries.emplace(name, std::move(array));
  return entries;
}

/// The entry `name` of a fixture; fails the test naming the file and the entry when missing.
inline const NpyArray& entry(const std::map<std::string, NpyArray>& entries,
                             const std::string& name, const std::string& file) {
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

/// One fixture file: its entries by name, read as the tests need them.
class Fixture {
 public:
  /// tests/fixtures/<family>/<name>.npz (or under $RECUR_FIXTURE_DIR).
  Fixture(const std::string& family, const std::string& name)
      : name_(name), file_((fixture_dir(family) / (name + ".npz")).string()),
        entries_(load_npz_map(file_)) {}
  /// True when the fixture has entry `key`.
  bool has(const std::string& key) const { return entries_.count(key) != 0; }
  /// Entry `key` as float32.
  Tensor tensor(const std::string& key) const { return at(key).to_tensor(); }
  /// Entry `key` as int64 (integer and boolean entries).
  IndexTensor index(const std::string& key) const { return at(key).to_index_tensor(); }
  /// The integer scalar config.<key>.
  std::int64_t config(const std::string& key) const { return index("config." + key).data()[0]; }
  /// The float64 scalar config.<key>, exactly.
  double config_double(const std::string& key) const { return as_doubles(at("config." + key))[0]; }
  /// The entry itself.
  const NpyArray& at(const std::string& key) const { return entry(entries_, key, file_); }
  /// Every entry.
  const std::map<std::string, NpyArray>& entries() const { return entries_; }
  /// The fixture's name.
  const std::string& name() const { return name_; }

 private:
  std::string name_, file_;
  std::map<std::string, NpyArray> entries_;
};

}  // namespace recur::test
