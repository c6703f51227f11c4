// Helpers for the basic layer tests: finite-difference checks of a module's parameter gradients.
#pragma once

#include <cmath>
#include <functional>
#include <sstream>
#include <string>

#include "autograd/ops/elementwise.hpp"
#include "autograd/ops/reductions.hpp"
#include "autograd/tape.hpp"
#include "core/random.hpp"
#include "layers/module.hpp"

namespace recur::test {

/// A module's output for one forward pass on `tape`.
using ModuleForward = std::function<Var(Tape&)>;

/// Compares the gradient backward puts into every parameter of `module` with central
/// differences of a fixed random projection of `forward`'s output. Empty when all agree within
/// atol + rtol * |numeric|; otherwise the worst element of each bad parameter.
inline std::string check_parameter_gradients(nn::Module& module, const ModuleForward& forward,
                                             double step = 1e-2, double atol = 2e-4,
                                             double rtol = 2e-3) {
  Tensor projection;
  bool have_projection = false;  // a default Tensor is a 0-d scalar of size 1, not empty
  // The projected loss sum(w * f) in double.
  auto projected = [&](Tape& tape) {
    const Tensor& out = forward(tape).value();
    if (!have_projection) {
      projection = Generator(99).normal(shape_of(out), 0.0f, 1.0f);
      have_projection = true;
    }
    double loss = 0.0;
    for (std::size_t i = 0; i < out.size(); ++i)
      loss += static_cast<double>(projection.data()[i]) * out.data()[i];
    return loss;
  };
  {
    Tape tape;
    projected(tape);
  }
  module.zero_grad();
  {
    Tape tape;
    const Var out = forward(tape);
    tape.backward(sum(mul(out, tape.input(projection))));
  }
  std::ostringstream report;
  for (auto& [name, parameter] : module.named_parameters()) {
    for (std::size_t j = 0; j < parameter->value.size(); ++j) {
      float& element = parameter->value.data()[j];
      const float original = element;
      const float plus = original + static_cast<float>(step), minus = original - static_cast<float>(step);
      Tape tape_plus, tape_minus;
      element = plus;
      const double loss_plus = projected(tape_plus);
      element = minus;
      const double loss_minus = projected(tape_minus);
      element = original;
      const double numeric = (loss_plus - loss_minus) / (static_cast<double>(plus) - minus);
      const double analytic = parameter->grad.data()[j];
      if (std::abs(numeric - analytic) > atol + rtol * std::abs(numeric)) {
        report << name << " element " << j << ": numeric " << numeric << ", analytic "
               << analytic << "; ";
        break;
      }
    }
  }
  return report.str();
}

}  // namespace recur::test
