// Helpers for the .npy/.npz tests: where the committed NumPy fixtures are (and, from
// support/scratch_dir.hpp, a scratch folder).
#pragma once

#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "support/scratch_dir.hpp"

namespace recur::test {

/// Path of a fixture written by tests/fixtures/numpy/make_numpy_fixtures.py.
inline std::string numpy_fixture(const std::string& name) {
  return (std::filesystem::path(RECUR_SOURCE_DIR) / "tests" / "fixtures" / "numpy" / name).string();
}

/// True when /usr/bin/python3 exists and imports numpy.
inline bool have_numpy() {
  return std::system("/usr/bin/python3 -c 'import numpy' > /dev/null 2>&1") == 0;
}

}  // namespace recur::test

/// Checks that `statement` throws recur::IoError whose message contains every one of the
/// following strings (the path, the entry, what went wrong).
#define RECUR_CHECK_IO_ERROR(statement, ...)                                                 \
  do {                                                                                       \
    bool recur_threw = false;                                                                \
    try {                                                                                    \
      statement;                                                                             \
    } catch (const recur::IoError& recur_error) {                                            \
      recur_threw = true;                                                                    \
      const std::string recur_message = recur_error.what();                                  \
      for (const std::string recur_part : {__VA_ARGS__})                                     \
        BOOST_TEST(recur_message.find(recur_part) != std::string::npos,                      \
                   "message \"" << recur_message << "\" lacks \"" << recur_part << "\"");    \
    }                                                                                        \
    BOOST_TEST(recur_threw, #statement " did not throw recur::IoError");                     \
  } while (0)
