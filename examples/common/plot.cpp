#include "plot.hpp"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "core/error.hpp"

namespace recur::examples {

void write_csv(const std::string& path, const std::vector<std::string>& header,
               const std::vector<std::vector<std::string>>& rows) {
  const std::filesystem::path file(path);
  if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path());
  std::ofstream out(path);
  if (!out) throw IoError("write_csv: cannot write " + path);
  auto write_row = [&out](const std::vector<std::string>& row) {
    for (std::size_t i = 0; i < row.size(); ++i) out << (i ? "," : "") << row[i];
    out << '\n';
  };
  write_row(header);
  for (const auto& row : rows) write_row(row);
  if (!out) throw IoError("write_csv: error while writing " + path);
}

bool render_gnuplot(const std::string& script_path, const std::string& script) {
  {
    std::ofstream out(script_path);
    if (!out) {
      std::cerr << "plot: cannot write " << script_path << "\n";
      return false;
    }
    out << script;
  }
  if (std::system("command -v gnuplot > /dev/null 2>&1") != 0) {
    std::cerr << "plot: gnuplot is not installed (apt-get install gnuplot-nox); the data is in "
                 "the CSV, the script in " << script_path << "\n";
    return false;
  }
  const std::string command = "gnuplot '" + script_path + "'";
  if (std::system(command.c_str()) != 0) {
    std::cerr << "plot: gnuplot failed on " << script_path << "\n";
    return false;
  }
  return true;
}

std::string fixed(double value, int digits) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", digits, value);
  return buffer;
}

}  // namespace recur::examples
