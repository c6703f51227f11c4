// Runs an example program from a test and collects what it printed.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <string>

namespace recur::test {

/// What a program printed (stdout, and stderr when the command redirects it) and its exit code
/// (-1 if it did not exit normally).
struct ProgramRun {
  int status = -1;
  std::string output;
};

/// Runs `command` through the shell and waits for it.
inline ProgramRun run_program(const std::string& command) {
  ProgramRun result;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  char buffer[4096];
  while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) result.output += buffer;
  const int raw = ::pclose(pipe);
  result.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  return result;
}

}  // namespace recur::test
