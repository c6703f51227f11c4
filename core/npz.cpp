// .npz archives through libzip (the one file that includes <zip.h>). Writing builds the whole
// archive in memory and hands it to write_file_atomic, so a failed save never touches the old file.
#include "core/npz.hpp"

#include <zip.h>

#include <memory>
#include <new>
#include <set>

#include "core/error.hpp"
#include "core/file_io.hpp"

namespace recur {
namespace {

constexpr std::string_view npy_suffix = ".npy";

struct ArchiveCloser {
  void operator()(zip_t* archive) const { zip_discard(archive); }
};
struct EntryCloser {
  void operator()(zip_file_t* file) const { zip_fclose(file); }
};
struct SourceFreer {
  void operator()(zip_source_t* source) const { zip_source_free(source); }
};
using Archive = std::unique_ptr<zip_t, ArchiveCloser>;
using Entry = std::unique_ptr<zip_file_t, EntryCloser>;
using Source = std::unique_ptr<zip_source_t, SourceFreer>;

std::string libzip_message(int code) {
  zip_error_t error;
  zip_error_init_with_code(&error, code);
  std::string message = zip_error_strerror(&error);
  zip_error_fini(&error);
  return message;
}

std::string libzip_message(zip_error_t* error) { return zip_error_strerror(error); }

std::string entry_source(const std::string& path, const std::string& entry) {
  return "'" + path + "' (entry '" + entry + "')";
}

// The bytes of entry `index`, read through libzip (which inflates deflated entries and checks
// the CRC when the end of the entry is reached).
std::vector<unsigned char> read_entry(zip_t* archive, zip_uint64_t index, const zip_stat_t& stat,
                                      const std::string& path) {
  const std::string where = "load_npz: cannot read " + entry_source(path, stat.name);
  if ((stat.valid & ZIP_STAT_SIZE) == 0) throw IoError(where + ": its size is unknown");
  Entry file(zip_fopen_index(archive, index, 0));
  if (!file) throw IoError(where + ": " + zip_strerror(archive));
  std::vector<unsigned char> bytes;
  try {
    bytes.resize(stat.size);
  } catch (const std::bad_alloc&) {
    throw IoError(where + ": it claims " + std::to_string(stat.size) + " bytes");
  }
  std::size_t got = 0;
  for (;;) {
    // One read past the stated size: libzip checks the CRC only once it sees the end.
    unsigned char spare;
    const bool past_end = got == bytes.size();
    const zip_int64_t count = past_end ? zip_fread(file.get(), &spare, 1)
                                       : zip_fread(file.get(), bytes.data() + got, bytes.size() - got);
    if (count < 0) throw IoError(where + ": " + zip_file_strerror(file.get()));
    if (count == 0 && !past_end)
      throw IoError(where + ": truncated after " + std::to_string(got) + " of " +
                    std::to_string(bytes.size()) + " bytes");
    if (count == 0) break;
    if (past_end) throw IoError(where + ": longer than the " + std::to_string(bytes.size()) +
                                " bytes its header states");
    got += static_cast<std::size_t>(count);
  }
  return bytes;
}

}  // namespace

NpzEntries load_npz(const std::string& path) {
  int code = 0;
  Archive archive(zip_open(path.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &code));
  if (!archive) throw IoError("load_npz: cannot open '" + path + "': " + libzip_message(code));
  const zip_int64_t count = zip_get_num_entries(archive.get(), 0);
  if (count < 0) throw IoError("load_npz: cannot read '" + path + "': " + zip_strerror(archive.get()));

  NpzEntries entries;
  std::set<std::string> seen;
  for (zip_uint64_t index = 0; index < static_cast<zip_uint64_t>(count); ++index) {
    zip_stat_t stat;
    zip_stat_init(&stat);
    if (zip_stat_index(archive.get(), index, 0, &stat) != 0 || (stat.valid & ZIP_STAT_NAME) == 0)
      throw IoError("load_npz: cannot read entry " + std::to_string(index) + " of '" + path +
                    "': " + zip_strerror(archive.get()));
    const std::string entry_name = stat.name;
    if (entry_name.size() <= npy_suffix.size() || !entry_name.ends_with(npy_suffix))
      throw IoError("load_npz: " + entry_source(path, entry_name) +
                    " is not a .npy array (an .npz holds only 'name.npy' entries)");
    std::string name = entry_name.substr(0, entry_name.size() - npy_suffix.size());
    if (!seen.insert(name).second)
      throw IoError("load_npz: '" + path + "' holds the entry '" + entry_name + "' twice");
    NpyArray array = parse_npy(read_entry(archive.get(), index, stat, path),
                               entry_source(path, entry_name));
    entries.emplace_back(std::move(name), std::move(array));
  }
  return entries;
}

namespace {

// The bytes of a zip archive holding `entries`, each stored uncompressed as `name.npy`.
std::vector<unsigned char> build_archive(const std::string& path, const NpzEntries& entries) {
  const std::string where = "save_npz: cannot write '" + path + "'";
  if (entries.empty()) {
    // libzip writes nothing for an empty archive; NumPy writes the bare end-of-directory record.
    std::vector<unsigned char> empty_zip(22, 0);
    const unsigned char signature[] = {'P', 'K', 5, 6};
    std::copy(signature, signature + 4, empty_zip.begin());
    return empty_zip;
  }
  std::vector<std::vector<unsigned char>> serialized;  // must outlive zip_close
  serialized.reserve(entries.size());
  std::set<std::string> seen;
  for (const auto& [name, array] : entries) {
    if (name.empty()) throw IoError(where + ": an entry has an empty name");
    if (!seen.insert(name).second) throw IoError(where + ": the name '" + name + "' appears twice");
    serialized.push_back(serialize_npy(array));
  }

  zip_error_t error;
  zip_error_init(&error);
  Source buffer(zip_source_buffer_create(nullptr, 0, 0, &error));
  if (!buffer) throw IoError(where + ": " + libzip_message(&error));
  Archive archive(zip_open_from_source(buffer.get(), ZIP_TRUNCATE, &error));
  if (!archive) throw IoError(where + ": " + libzip_message(&error));
  // The archive now holds a reference; keep ours so the bytes survive zip_close.
  zip_source_keep(buffer.get());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const std::string entry_name = entries[i].first + std::string(npy_suffix);
    zip_source_t* data =
        zip_source_buffer(archive.get(), serialized[i].data(), serialized[i].size(), 0);
    if (data == nullptr) throw IoError(where + ": " + zip_strerror(archive.get()));
    const zip_int64_t index = zip_file_add(archive.get(), entry_name.c_str(), data, ZIP_FL_ENC_UTF_8);
    if (index < 0) {
      zip_source_free(data);
      throw IoError(where + ": cannot add '" + entry_name + "': " + zip_strerror(archive.get()));
    }
    if (zip_set_file_compression(archive.get(), static_cast<zip_uint64_t>(index), ZIP_CM_STORE, 0) != 0)
      throw IoError(where + ": " + zip_strerror(archive.get()));
  }
  if (zip_close(archive.get()) != 0) throw IoError(where + ": " + zip_strerror(archive.get()));
  archive.release();  // zip_close freed it

  zip_stat_t stat;
  zip_stat_init(&stat);
  if (zip_source_stat(buffer.get(), &stat) != 0 || (stat.valid & ZIP_STAT_SIZE) == 0 ||
      zip_source_open(buffer.get()) != 0)
    throw IoError(where + ": " + libzip_message(zip_source_error(buffer.get())));
  std::vector<unsigned char> bytes(stat.size);
  std::size_t got = 0;
  while (got < bytes.size()) {
    const zip_int64_t count = zip_source_read(buffer.get(), bytes.data() + got, bytes.size() - got);
    if (count <= 0) break;
    got += static_cast<std::size_t>(count);
  }
  zip_source_close(buffer.get());
  if (got != bytes.size()) throw IoError(where + ": the archive in memory could not be read back");
  return bytes;
}

}  // namespace

void save_npz(const std::string& path, const NpzEntries& entries) {
  write_file_atomic(path, build_archive(path, entries), "save_npz");
}

}  // namespace recur
