// A scratch folder for tests that write files.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <stdexcept>
#include <string>
#include <system_error>

namespace recur::test {

/// A fresh folder under the system's temporary directory (named `recur-<label>-XXXXXX`, unique
/// even across processes running at once), removed with everything in it at the end, even when
/// a test made it or its files read-only.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& label = "test") {
    std::string pattern =
        (std::filesystem::temp_directory_path() / ("recur-" + label + "-XXXXXX")).string();
    if (::mkdtemp(pattern.data()) == nullptr)
      throw std::runtime_error("ScratchDir: mkdtemp failed for " + pattern);
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::permissions(path_, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::add, ignored);
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  /// `name` inside the folder.
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  /// The folder.
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace recur::test
