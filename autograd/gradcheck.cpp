#include "autograd/gradcheck.hpp"

#include <cmath>
#include <sstream>

#include "autograd/tape.hpp"
#include "core/random.hpp"

namespace recur {
namespace {

// The projected loss sum(w * f(inputs)) in double, for one set of input values.
double projected_loss(const GradcheckFunction& function, const std::vector<Tensor>& inputs,
                      const Tensor& projection) {
  Tape tape;
  std::vector<Var> vars;
  for (const Tensor& input : inputs) vars.push_back(tape.input(input));
  const Tensor& output = function(vars).value();
  double loss = 0.0;
  for (std::size_t i = 0; i < output.size(); ++i)
    loss += static_cast<double>(projection.data()[i]) * output.data()[i];
  return loss;
}

}  // namespace

GradcheckResult gradcheck(const GradcheckFunction& function, const std::vector<Tensor>& inputs,
                          const GradcheckOptions& options) {
  GradcheckResult result;
  // Analytic gradients: one backward, seeded with the projection.
  Tape tape;
  std::vector<Var> vars;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const bool checked = options.check.empty() || options.check.at(i);
    vars.push_back(tape.input(inputs[i], checked));
  }
  const Var output = function(vars);
  Generator generator(options.seed);
  const Tensor projection = generator.normal(Shape(output.shape().begin(), output.shape().end()), 0.0f, 1.0f);
  tape.backward(output, projection);

  std::ostringstream report;
  std::vector<Tensor> perturbed = inputs;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (!vars[i].requires_grad()) continue;
    const Tensor analytic = vars[i].grad();
    double worst = -1.0;
    std::size_t worst_index = 0;
    double worst_numeric = 0.0, worst_analytic = 0.0;
    for (std::size_t j = 0; j < inputs[i].size(); ++j) {
      const float original = inputs[i].data()[j];
      // Use the step as float32 actually represents it, not the nominal one.
      const float plus = original + static_cast<float>(options.step);
      const float minus = original - static_cast<float>(options.step);
      perturbed[i].data()[j] = plus;
      const double loss_plus = projected_loss(function, perturbed, projection);
      perturbed[i].data()[j] = minus;
      const double loss_minus = projected_loss(function, perturbed, projection);
      perturbed[i].data()[j] = original;
      const double numeric = (loss_plus - loss_minus) / (static_cast<double>(plus) - minus);
      const double exact = analytic.data()[j];
      const double error = std::abs(numeric - exact);
      const double rel = error / std::max(std::abs(numeric), options.atol);
      result.max_abs_error = std::max(result.max_abs_error, error);
      result.max_rel_error = std::max(result.max_rel_error, rel);
      const double excess = error - (options.atol + options.rtol * std::abs(numeric));
      if (excess > 0) result.ok = false;
      if (excess > worst || worst < 0) {
        worst = excess;
        worst_index = j;
        worst_numeric = numeric;
        worst_analytic = exact;
      }
    }
    report << "input " << i << " " << shape_str(inputs[i].shape()) << ": worst element "
           << worst_index << " numeric " << worst_numeric << " analytic " << worst_analytic
           << "; ";
  }
  report << "max abs error " << result.max_abs_error << ", max rel error " << result.max_rel_error;
  result.report = report.str();
  return result;
}

}  // namespace recur
