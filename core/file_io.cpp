// Whole-file reads and atomic writes through POSIX calls, so that every failure can say why
// (strerror) and a failed save never leaves a half-written file where the old one was.
#include "core/file_io.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <random>

#include "core/error.hpp"

namespace recur {
namespace {

std::string failure(const char* what, const std::string& path, const std::string& action,
                    int error_number) {
  return std::string(what) + ": cannot " + action + " '" + path + "': " +
         std::strerror(error_number);
}

// Closes a descriptor when the scope ends, whatever path leaves it.
struct FileDescriptor {
  int fd = -1;
  ~FileDescriptor() {
    if (fd >= 0) ::close(fd);
  }
  int release() {
    const int result = ::close(fd);
    fd = -1;
    return result;
  }
};

std::string random_suffix() {
  static constexpr char letters[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  thread_local std::mt19937_64 engine{std::random_device{}()};
  std::string suffix(6, 'x');
  for (auto& letter : suffix) letter = letters[engine() % (sizeof(letters) - 1)];
  return suffix;
}

}  // namespace

std::vector<unsigned char> read_file(const std::string& path, const char* what) {
  FileDescriptor file{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (file.fd < 0) throw IoError(failure(what, path, "open", errno));
  struct stat info {};
  if (::fstat(file.fd, &info) != 0) throw IoError(failure(what, path, "read", errno));
  if (S_ISDIR(info.st_mode)) throw IoError(failure(what, path, "read", EISDIR));
  std::vector<unsigned char> bytes;
  bytes.reserve(static_cast<std::size_t>(info.st_size));
  unsigned char buffer[1 << 16];
  for (;;) {
    const ssize_t count = ::read(file.fd, buffer, sizeof(buffer));
    if (count < 0 && errno == EINTR) continue;
    if (count < 0) throw IoError(failure(what, path, "read", errno));
    if (count == 0) break;
    bytes.insert(bytes.end(), buffer, buffer + count);
  }
  return bytes;
}

void write_file_atomic(const std::string& path, std::span<const unsigned char> bytes,
                       const char* what) {
  // A fresh name in the same folder (rename is atomic only within one file system); O_EXCL
  // guarantees it is ours. Mode 0666 lets the umask decide, as for any new file.
  std::string temp_path;
  FileDescriptor file;
  for (int attempt = 0; attempt < 100 && file.fd < 0; ++attempt) {
    temp_path = path + ".tmp-" + random_suffix();
    file.fd = ::open(temp_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (file.fd < 0 && errno != EEXIST) throw IoError(failure(what, path, "create a file for", errno));
  }
  if (file.fd < 0) throw IoError(failure(what, path, "create a temporary file for", EEXIST));

  auto fail = [&](const std::string& action, int error_number) {
    if (file.fd >= 0) file.release();
    ::unlink(temp_path.c_str());
    throw IoError(failure(what, path, action, error_number));
  };
  std::size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t count = ::write(file.fd, bytes.data() + written, bytes.size() - written);
    if (count < 0 && errno == EINTR) continue;
    if (count < 0) fail("write", errno);
    written += static_cast<std::size_t>(count);
  }
  // Data on disk before the rename, so a crash leaves either the old file or the whole new one.
  if (::fsync(file.fd) != 0) fail("write", errno);
  if (file.release() != 0) fail("write", errno);
  if (::rename(temp_path.c_str(), path.c_str()) != 0) fail("replace", errno);
}

}  // namespace recur
