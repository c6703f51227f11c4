#include "csv_plot.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "core/error.hpp"

namespace recur::examples {

void write_csv(const std::string& path, const std::vector<std::string>& header,
               const std::vector<std::vector<std::string>>& rows) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent);
  std::ofstream file(path);
  auto line = [&file](const std::vector<std::string>& cells) {
    for (std::size_t i = 0; i < cells.size(); ++i) file << (i == 0 ? "" : ",") << cells[i];
    file << "\n";
  };
  line(header);
  for (const std::vector<std::string>& row : rows) line(row);
  file.flush();
  if (!file) throw IoError("write_csv: cannot write " + path);
}

bool render_gnuplot(const std::string& script_path, const std::string& script) {
  std::ofstream(script_path) << script;
  // Quoted for the shell: the path may hold spaces.
  const std::string command = "gnuplot '" + script_path + "' 2>&1";
  if (std::system("gnuplot --version > /dev/null 2>&1") != 0) {
    std::cerr << "plot: no gnuplot (Debian: gnuplot-nox); the data is in the CSV and the "
                 "script in " << script_path << "\n";
    return false;
  }
  if (std::system(command.c_str()) != 0) {
    std::cerr << "plot: gnuplot failed on " << script_path << "\n";
    return false;
  }
  return true;
}

std::string fixed(double value, int digits) {
  std::ostringstream out;
  out.setf(std::ios::fixed);
  out.precision(digits);
  out << value;
  return out.str();
}

}  // namespace recur::examples
