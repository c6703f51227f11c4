// Helpers of the op test files: random inputs, gradient checks with a readable failure, and
// checks that an error names what it should.
#pragma once

#include <boost/test/unit_test.hpp>
#include <initializer_list>
#include <string>
#include <vector>

#include "autograd/gradcheck.hpp"
#include "core/error.hpp"
#include "core/random.hpp"

namespace recur::test {

/// Uniform values in [low, high), the same for the same seed.
inline Tensor uniform_tensor(const Shape& shape, std::uint64_t seed, float low = -2.0f,
                             float high = 2.0f) {
  Generator generator(seed);
  return generator.uniform(shape, low, high);
}

/// Uniform values whose magnitude lies in [low, high), with random signs: inputs kept away from
/// a kink at 0 (abs, leaky_relu) by more than gradcheck's step.
inline Tensor away_from_zero(const Shape& shape, std::uint64_t seed, float low = 0.2f,
                             float high = 2.0f) {
  Generator generator(seed);
  Tensor values = generator.uniform(shape, low, high);
  for (float& v : values) v = generator.next_float() < 0.5f ? -v : v;
  return values;
}

/// Checks `function`'s backward rule against central differences (BOOST_TEST with the report).
inline void expect_gradients_match(const GradcheckFunction& function,
                                   const std::vector<Tensor>& inputs,
                                   const GradcheckOptions& options = {}) {
  const GradcheckResult result = gradcheck(function, inputs, options);
  BOOST_TEST(result.ok, result.report);
}

/// Checks that `call` throws an `ErrorType` whose message contains every one of `parts`.
template <class ErrorType = Error, class Call>
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
