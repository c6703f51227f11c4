// Anomaly mode inside layers: the error names the module's dotted place in the model.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <string>

#include "autograd/anomaly.hpp"
#include "autograd/ops/reductions.hpp"
#include "autograd/tape.hpp"
#include "core/tensor.hpp"
#include "layers/cells.hpp"
#include "layers/lstm.hpp"
#include "support/check.hpp"

using namespace recur;

namespace {

// model.encoder is an LSTM, model.decoder.cell a GRUCell inside a child module.
struct Decoder : nn::Module {
  nn::GRUCell cell{{.input_size = 4, .hidden_size = 4}};
  Decoder() { register_module("cell", cell); }
};
struct Model : nn::Module {
  nn::LSTM encoder{{.input_size = 2, .hidden_size = 4}};
  Decoder decoder;
  Model() {
    register_module("encoder", encoder);
    register_module("decoder", decoder);
  }
  Var forward(Tape& tape, const Tensor& x) {
    Var h = encoder(tape.input(x)).state.h;  // [1, B, 4]
    const ModuleScope scope(decoder.name());  // a composite child opens its own scope
    return decoder.cell(sum(h, 0));
  }
};

std::string run_expecting_anomaly(Model& model, const Tensor& x) {
  AnomalyModeGuard anomaly;
  Tape tape;
  try {
    tape.backward(sum(model.forward(tape, x)));
  } catch (const AnomalyError& error) {
    return error.what();
  }
  BOOST_FAIL("no AnomalyError");
  return {};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(anomaly_layers)

BOOST_AUTO_TEST_CASE(overflow_in_encoder_names_the_op_and_module) {
  Model model;
  BOOST_TEST(model.encoder.name() == "encoder");
  BOOST_TEST(model.name().empty());
  for (Parameter* p : model.encoder.parameters()) p->value.fill(3e38f);
  const std::string message = run_expecting_anomaly(model, full({3, 2, 2}, 10.0f));
  BOOST_TEST(message.find("in module 'encoder'") != std::string::npos, message);
  BOOST_TEST(message.find("produced Inf") != std::string::npos, message);
}

BOOST_AUTO_TEST_CASE(nan_weight_in_nested_cell_names_the_dotted_path) {
  Model model;
  model.decoder.cell.parameters()[1]->value(0, 0) = std::nanf("");
  const std::string message = run_expecting_anomaly(model, full({3, 2, 2}, 0.5f));
  BOOST_TEST(message.find("parameter [12, 4] holds NaN") != std::string::npos, message);
  BOOST_TEST(message.find("in module 'decoder.cell'") != std::string::npos, message);
}

BOOST_AUTO_TEST_CASE(healthy_model_runs_the_same_with_anomaly_mode) {
  Model model;
  auto gradients = [&](bool on) {
    AnomalyModeGuard anomaly(on);
    Tape tape;
    tape.backward(sum(model.forward(tape, full({3, 2, 2}, 0.5f))));
    Tensor grad = model.encoder.parameters()[0]->grad;
    model.zero_grad();
    return grad;
  };
  // In anomaly mode the recurrent layers take the op-by-op reference path (so a NaN is traced to
  // its step and op), which sums in another order: equal to rounding, not bit for bit.
  RECUR_CHECK_CLOSE(gradients(true), gradients(false), 1e-5, 1e-6);
}

BOOST_AUTO_TEST_SUITE_END()
