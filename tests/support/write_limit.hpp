// Makes every write past a size fail, as a full disk would, for crash-safety tests.
#pragma once

#include <sys/resource.h>

#include <csignal>
#include <cstddef>

namespace recur::test {

/// While alive, no file of this process can grow past `bytes`: a write that would cross the
/// limit fails part-way (EFBIG) instead of raising SIGXFSZ, so a save stops half-written.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(std::size_t bytes) {
    previous_handler_ = std::signal(SIGXFSZ, SIG_IGN);
    getrlimit(RLIMIT_FSIZE, &previous_);
    rlimit limit = previous_;
    limit.rlim_cur = static_cast<rlim_t>(bytes);
    setrlimit(RLIMIT_FSIZE, &limit);
  }
  ~FileSizeLimit() {
    setrlimit(RLIMIT_FSIZE, &previous_);
    std::signal(SIGXFSZ, previous_handler_);
  }
  FileSizeLimit(const FileSizeLimit&) = delete;
  FileSizeLimit& operator=(const FileSizeLimit&) = delete;

 private:
  rlimit previous_{};
  void (*previous_handler_)(int) = SIG_DFL;
};

}  // namespace recur::test
