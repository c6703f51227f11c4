// Helpers shared by the test suites: tensor comparison with a message saying what differed.
#pragma once

#include <boost/test/unit_test.hpp>
#include <cmath>
#include <sstream>
#include <string>

#include "core/shape.hpp"
#include "core/tensor.hpp"

namespace recur::test {

/// Empty when `actual` matches `expected` within atol + rtol * |expected| everywhere;
/// otherwise a description of the worst element.
inline std::string compare(const Tensor& actual, const Tensor& expected, double rtol = 1e-5,
                           double atol = 1e-6) {
  if (actual.shape() != expected.shape())
    return "shape " + shape_str(actual.shape()) + " != expected " + shape_str(expected.shape());
  double worst = 0;
  std::size_t worst_index = 0;
  bool bad = false;
  for (std::size_t i = 0; i < actual.size(); ++i) {
    const double a = actual.data()[i], e = expected.data()[i];
    const double excess = std::abs(a - e) - (atol + rtol * std::abs(e));
    if (!(excess <= 0) && (!bad || excess > worst || std::isnan(a))) {
      bad = true;
      worst = excess;
      worst_index = i;
    }
  }
  if (!bad) return {};
  std::ostringstream text;
  text << "element " << worst_index << ": got " << actual.data()[worst_index] << ", expected "
       << expected.data()[worst_index] << " (shape " << shape_str(actual.shape()) << ")";
  return text.str();
}

}  // namespace recur::test

/// Checks two tensors agree; the failure message names the worst element.
#define RECUR_CHECK_CLOSE(actual, expected, rtol, atol)                              \
  do {                                                                               \
    const std::string recur_difference = recur::test::compare(actual, expected, rtol, atol); \
    BOOST_TEST(recur_difference.empty(), recur_difference);                          \
  } while (0)
