// Weights to and from PyTorch: runs docs/snippets/interop.py (when /usr/bin/python3 has torch)
// on a file our save() wrote, and loads back the .npz PyTorch wrote.
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <string>

#include "autograd/tape.hpp"
#include "core/npz.hpp"
#include "layers/serialize.hpp"
#include "serialize_support.hpp"
#include "support/check.hpp"

using namespace recur;

namespace {

bool python_has_torch() {
  // find_spec looks the packages up without importing them (importing torch takes seconds).
  return std::system("/usr/bin/python3 -c \"import importlib.util as u, sys; "
                     "sys.exit(u.find_spec('torch') is None or u.find_spec('numpy') is None)\" "
                     "> /dev/null 2>&1") == 0;
}

Tensor entry(const NpzEntries& entries, const std::string& name) {
  for (const auto& [key, array] : entries)
    if (key == name) return array.to_tensor();
  BOOST_FAIL("check file has no entry '" << name << "'");
  return {};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(serialize_interop)

BOOST_AUTO_TEST_CASE(weights_move_to_pytorch_and_back_with_the_same_outputs) {
  if (!python_has_torch()) {
    BOOST_TEST_MESSAGE("skipped: /usr/bin/python3 cannot import torch and numpy");
    return;
  }
  test::ScratchDir dir;
  nn::Sequential model;  // Linear(4, 8), Tanh, Linear(8, 3), as in the snippet
  test::build_mlp(model, 4, 8, 3, 17);
  nn::save(model, dir.file("recur_model.npz"));

  const std::string command = "/usr/bin/python3 " RECUR_SOURCE_DIR "/docs/snippets/interop.py '" +
                              dir.file("recur_model.npz") + "' '" + dir.file("torch_model.npz") +
                              "' '" + dir.file("check.npz") + "' > /dev/null";
  BOOST_TEST_REQUIRE(std::system(command.c_str()) == 0, "the snippet failed: " << command);
  const NpzEntries check = load_npz(dir.file("check.npz"));

  // recur -> PyTorch: PyTorch computes our outputs from the weights we saved.
  Tape tape;
  const Var x = tape.input(entry(check, "x"));
  RECUR_CHECK_CLOSE(model(x).value(), entry(check, "recur_output"), 1e-5, 1e-6);

  // PyTorch -> recur: a .npz written by np.savez from a state_dict loads, and gives PyTorch's
  // outputs.
  const auto before = test::snapshot(model);
  nn::load(model, dir.file("torch_model.npz"));
  BOOST_TEST(!test::unchanged(model, before), "loading PyTorch's weights changed nothing");
  RECUR_CHECK_CLOSE(model(x).value(), entry(check, "torch_output"), 1e-5, 1e-6);
}

BOOST_AUTO_TEST_SUITE_END()
