// Small helpers the example programs share: CSV files and gnuplot rendering.
#pragma once

#include <string>
#include <vector>

namespace recur::examples {

/// Writes `rows` under `header` as CSV to `path` (creating parent folders); throws recur::IoError.
void write_csv(const std::string& path, const std::vector<std::string>& header,
               const std::vector<std::vector<std::string>>& rows);

/// Runs gnuplot on `script` (written next to the figures as `script_path`, so a reader can rerun
/// it). Returns false, with a message on stderr, when gnuplot is missing or fails: a missing
/// plot never stops an experiment whose numbers are already in the CSV.
bool render_gnuplot(const std::string& script_path, const std::string& script);

/// Formats a number with `digits` decimals.
std::string fixed(double value, int digits);

}  // namespace recur::examples
