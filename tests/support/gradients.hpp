// Gradient checks with a failure message that shows the worst element.
#pragma once

#include <boost/test/unit_test.hpp>
#include <vector>

#include "autograd/gradcheck.hpp"

namespace recur::test {

/// Checks `function`'s backward rules against central differences (recur::gradcheck) and fails
/// the test with gradcheck's report, which names the input and the worst element.
inline void expect_gradients_match(const GradcheckFunction& function,
                                   const std::vector<Tensor>& inputs,
                                   const GradcheckOptions& options = {}) {
  const GradcheckResult result = gradcheck(function, inputs, options);
  BOOST_TEST(result.ok, result.report);
}

}  // namespace recur::test
