// CSV files and gnuplot figures for this example (a private helper until the examples share
// one in examples/common).
#pragma once

#include <string>
#include <vector>

namespace recur::examples {

/// Writes a header row and `rows` as comma-separated lines to `path`, creating its folder.
/// Throws recur::IoError naming the path when it cannot be written.
void write_csv(const std::string& path, const std::vector<std::string>& header,
               const std::vector<std::vector<std::string>>& rows);

/// Saves `script` to `script_path` and runs gnuplot on it. A missing or failing gnuplot is
/// reported on stderr and returns false: the numbers are in the CSV either way.
bool render_gnuplot(const std::string& script_path, const std::string& script);

/// `value` with `digits` digits after the point.
std::string fixed(double value, int digits);

}  // namespace recur::examples
