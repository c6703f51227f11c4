// Anomaly mode: the first op whose output or computed gradient is NaN/Inf throws, naming the op,
// its input shapes and the module scope it ran in; off by default and per thread.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <thread>

#include "autograd/anomaly.hpp"
#include "autograd/ops/elementwise.hpp"
#include "autograd/ops/reductions.hpp"
#include "autograd/parameter.hpp"
#include "autograd/tape.hpp"

using namespace recur;

namespace {

// The message of the AnomalyError `body` throws; fails the test if it throws none.
template <class F>
std::string anomaly_message(F body) {
  try {
    body();
  } catch (const AnomalyError& error) {
    return error.what();
  }
  BOOST_FAIL("no AnomalyError was thrown");
  return {};
}

bool contains(const std::string& text, const std::string& part) {
  const bool found = text.find(part) != std::string::npos;
  if (!found) BOOST_TEST_MESSAGE("'" << part << "' not in: " << text);
  return found;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(anomaly)

BOOST_AUTO_TEST_CASE(off_by_default_nan_flows_through) {
  BOOST_TEST(!anomaly_detection_enabled());
  Tape tape;
  Var x = tape.input(Tensor{-1.0f, 2.0f}, true);
  Var y = log(x);  // log(-1) = NaN, silently
  BOOST_TEST(std::isnan(y.value()(0)));
  BOOST_TEST(y.value()(1) == std::log(2.0f));
}

BOOST_AUTO_TEST_CASE(forward_nan_names_op_shapes_and_module_path) {
  AnomalyModeGuard anomaly;
  Tape tape;
  Var x = tape.input(Tensor{{1.0f, 2.0f, -3.0f}, {4.0f, 5.0f, 6.0f}}, true);
  Var scaled = mul_scalar(x, 2.0f);  // finite: passes
  const std::size_t before = tape.size();
  ModuleScope model("model");
  ModuleScope head("head");
  ModuleScope unnamed("");  // a top-level module adds nothing to the path
  const std::string message = anomaly_message([&] { log(scaled); });
  BOOST_TEST(contains(message, "'log'"));
  BOOST_TEST(contains(message, "in module 'model.head'"));
  BOOST_TEST(contains(message, "NaN"));
  BOOST_TEST(contains(message, "first at element 2"));
  BOOST_TEST(contains(message, "inputs of shapes [2, 3]"));
  // The failed op left no node behind: the tape is as it was.
  BOOST_TEST(tape.size() == before);
}

BOOST_AUTO_TEST_CASE(forward_inf_from_division_by_zero_is_reported_as_inf) {
  AnomalyModeGuard anomaly;
  Tape tape;
  Var a = tape.input(Tensor{1.0f, 2.0f}, true);
  Var b = tape.input(Tensor{{1.0f, 0.0f}}, false);
  const std::string message = anomaly_message([&] { div(a, b); });
  BOOST_TEST(contains(message, "'div' outside any module produced Inf"));
  BOOST_TEST(contains(message, "inputs of shapes [2], [1, 2]"));
}

BOOST_AUTO_TEST_CASE(backward_inf_names_the_op_whose_rule_made_it) {
  // y = 1e20 * x is finite, but with an incoming gradient of 1e20 its rule computes 1e40 = Inf.
  AnomalyModeGuard anomaly;
  Tape tape;
  Var x = tape.input(Tensor{1.0f, 1.0f, 1.0f}, true);
  Var y;
  {
    ModuleScope encoder("encoder");
    ModuleScope cell("cell");
    y = mul_scalar(x, 1e20f);
  }
  const std::string message =
      anomaly_message([&] { tape.backward(y, Tensor{1.0f, 1e20f, 1.0f}); });
  BOOST_TEST(contains(message, "backward of 'mul_scalar' in module 'encoder.cell'"));
  BOOST_TEST(contains(message, "Inf in the gradient of its input 0 [3] (first at element 1)"));
}

BOOST_AUTO_TEST_CASE(backward_without_anomaly_mode_lets_inf_through) {
  Tape tape;
  Var x = tape.input(Tensor{1.0f}, true);
  Var y = mul_scalar(x, 1e20f);
  tape.backward(y, Tensor{1e20f});
  BOOST_TEST(std::isinf(x.grad()(0)));
}

BOOST_AUTO_TEST_CASE(nan_in_input_data_or_parameter_is_reported_where_it_enters) {
  AnomalyModeGuard anomaly;
  Tape tape;
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::string message = anomaly_message([&] { tape.input(Tensor{0.0f, nan}); });
  BOOST_TEST(contains(message, "input data [2] holds NaN at element 1"));
  Parameter weight(Tensor{{1.0f, std::numeric_limits<float>::infinity()}});
  ModuleScope scope("decoder");
  message = anomaly_message([&] { tape.parameter(weight); });
  BOOST_TEST(contains(message, "parameter [1, 2] holds Inf at element 1 in module 'decoder'"));
  BOOST_TEST(tape.size() == 0u);
}

BOOST_AUTO_TEST_CASE(finite_training_step_is_unchanged_by_anomaly_mode) {
  auto run = [](bool anomaly_on) {
    AnomalyModeGuard anomaly(anomaly_on);
    Tape tape;
    Var x = tape.input(Tensor{{0.5f, -1.0f}, {2.0f, 0.25f}}, true);
    Var loss = sum(mul(tanh(x), exp(x)));
    tape.backward(loss);
    return Tensor(x.grad());
  };
  BOOST_TEST((run(true) == run(false)));
}

BOOST_AUTO_TEST_CASE(mode_and_scopes_are_per_thread_and_restored) {
  {
    AnomalyModeGuard anomaly;
    ModuleScope scope("outer");
    bool other_thread_enabled = true;
    std::string other_thread_scope = "unset";
    std::thread([&] {
      other_thread_enabled = anomaly_detection_enabled();
      other_thread_scope = current_module_scope();
    }).join();
    BOOST_TEST(!other_thread_enabled);
    BOOST_TEST(other_thread_scope.empty());
    BOOST_TEST(current_module_scope() == "outer");
    {
      AnomalyModeGuard off(false);
      BOOST_TEST(!anomaly_detection_enabled());
      ModuleScope ignored("inner");  // opened with the mode off: not on the path
      BOOST_TEST(current_module_scope() == "outer");
    }
    BOOST_TEST(anomaly_detection_enabled());
  }
  BOOST_TEST(!anomaly_detection_enabled());
  BOOST_TEST(current_module_scope().empty());
  set_detect_anomaly(true);
  BOOST_TEST(anomaly_detection_enabled());
  set_detect_anomaly(false);
  BOOST_TEST(!anomaly_detection_enabled());
}

BOOST_AUTO_TEST_SUITE_END()
