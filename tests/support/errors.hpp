// Catching the error a call throws, for tests of error messages.
#pragma once

#include <string>

#include "core/error.hpp"

namespace recur::test {

/// The message of the `ErrorType` that `call` throws, or "(no error was thrown)" when it returns
/// normally (so that a check for a part of the message fails and shows why). An exception of
/// another type propagates, and Boost.Test reports it with its message.
template <class ErrorType = recur::Error, class Call>
std::string error_message(Call&& call) {
  try {
    call();
  } catch (const ErrorType& error) {
    return error.what();
  }
  return "(no error was thrown)";
}

/// True when `text` contains `part`.
inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace recur::test
