/// @file
/// gradcheck: compares an op's backward rule with central finite differences.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "autograd/var.hpp"
#include "core/tensor.hpp"

namespace recur {

/// Tolerances of gradcheck(). An element passes when |numeric - analytic| <= atol + rtol *
/// |numeric|; the defaults catch a backward rule that is off by 1%.
struct GradcheckOptions {
  double step = 1e-2;          ///< Finite-difference step (central differences, float32 values).
  double atol = 2e-4;          ///< Absolute tolerance.
  double rtol = 2e-3;          ///< Relative tolerance.
  std::uint64_t seed = 1234;   ///< Seed of the random projection of the output.
  std::vector<bool> check;     ///< Which inputs to check (default: all).
};

/// What gradcheck() found.
struct GradcheckResult {
  bool ok = true;                 ///< Every checked element is within tolerance.
  double max_abs_error = 0.0;     ///< Largest |numeric - analytic|.
  double max_rel_error = 0.0;     ///< Largest |numeric - analytic| / max(|numeric|, atol).
  std::string report;             ///< The worst element of each input, for a test's message.
};

/// A function under test: takes Vars for the inputs, returns an output of any shape.
using GradcheckFunction = std::function<Var(std::span<const Var>)>;

/// Checks the gradient of `function` with respect to each input. The output is reduced to a
/// scalar by a fixed random projection (not a plain sum, so a rule that is right only for an
/// all-ones incoming gradient fails), and the loss is accumulated in double.
/// @code
/// auto result = recur::gradcheck([](std::span<const recur::Var> in) {
///   return recur::tanh(recur::matmul(in[0], in[1]));
/// }, {x, w});
/// BOOST_TEST(result.ok, result.report);
/// @endcode
/// Inputs should stay away from kinks (relu at 0) by more than the step.
/// @param function Builds the output from Vars holding the inputs, on a tape of its own.
/// @param inputs The values at which the gradient is checked.
/// @param options Step, tolerances, the projection's seed and which inputs to check.
/// @return Whether every element passed, the largest errors and a report of the worst ones.
GradcheckResult gradcheck(const GradcheckFunction& function, const std::vector<Tensor>& inputs,
                          const GradcheckOptions& options = {});

}  // namespace recur
