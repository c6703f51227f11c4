// Catching the error a call throws, for tests of error messages.
#pragma once

#include <boost/test/unit_test.hpp>
#include <exception>
#include <initializer_list>
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

/// Checks that `call` throws an `ErrorType` whose message contains every one of `parts` (the
/// op, the shapes, what was expected); reports another exception, or none, as a failure.
template <class ErrorType = recur::Error, class Call>
void expect_error(Call&& call, std::initializer_list<std::string> parts) {
  try {
    call();
  } catch (const ErrorType& error) {
    const std::string message = error.what();
    for (const std::string& part : parts)
      BOOST_TEST(message.find(part) != std::string::npos, "'" << part << "' not in: " << message);
    return;
  } catch (const std::exception& other) {
    BOOST_ERROR("the wrong exception: " << other.what());
    return;
  }
  BOOST_ERROR("nothing thrown; expected an error mentioning '" << *parts.begin() << "'");
}

}  // namespace recur::test
