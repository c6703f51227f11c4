// Model files under failure: a save that dies part-way keeps the previous file whole and
// loadable; a file made for another architecture is refused with every mismatch named.
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <string>

#include "../core/io_support.hpp"
#include "core/error.hpp"
#include "layers/linear.hpp"
#include "layers/lstm.hpp"
#include "layers/serialize.hpp"
#include "support/write_limit.hpp"

using namespace recur;

namespace {

// An LSTM encoder and a linear head, as a small sequence model.
struct Model : nn::Module {
  nn::LSTM encoder;
  nn::Linear head;
  Model(std::size_t hidden, std::size_t layers)
      : encoder({.input_size = 8, .hidden_size = hidden, .num_layers = layers}),
        head({.in_features = hidden, .out_features = 3}) {
    register_module("encoder", encoder);
    register_module("head", head);
  }
};

std::vector<Tensor> values(nn::Module& module) {
  std::vector<Tensor> out;
  for (Parameter* parameter : module.parameters()) out.push_back(parameter->value);
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(checkpoint_safety)

BOOST_AUTO_TEST_CASE(save_failing_part_way_keeps_previous_checkpoint_loadable) {
  test::ScratchDir scratch;
  const std::string path = scratch.file("model.npz");
  Model small(16, 1);
  nn::save(small, path);
  const auto saved_size = std::filesystem::file_size(path);

  // A bigger model's file (~1 MB) is cut off after 100 KB by the file-size limit.
  Model big(128, 2);
  {
    test::FileSizeLimit limit(100 * 1024);
    BOOST_CHECK_THROW(nn::save(big, path), IoError);
  }
  BOOST_TEST(std::filesystem::file_size(path) == saved_size);
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(scratch.path()))
    ++files;
  BOOST_TEST(files == 1u);  // no temporary file left behind

  Model restored(16, 1);
  nn::load(restored, path);
  BOOST_TEST((values(restored) == values(small)));
}

BOOST_AUTO_TEST_CASE(loading_another_architecture_names_every_mismatch_and_changes_nothing) {
  test::ScratchDir scratch;
  const std::string path = scratch.file("two_layers.npz");
  Model saved(16, 2);
  nn::save(saved, path);
  Model other(32, 1);
  const std::vector<Tensor> before = values(other);
  std::string message;
  try {
    nn::load(other, path);
  } catch (const IoError& error) {
    message = error.what();
  }
  BOOST_TEST_REQUIRE(!message.empty());
  // Every layer-0 tensor and the head have the wrong shape; the layer-1 tensors are unexpected.
  for (const char* name : {"'encoder.weight_ih_l0' has shape [64, 8], the model expects [128, 8]",
                           "'encoder.weight_hh_l0' has shape [64, 16], the model expects [128, 32]",
                           "'encoder.bias_ih_l0' has shape [64]", "'encoder.bias_hh_l0' has shape [64]",
                           "'head.weight' has shape [3, 16], the model expects [3, 32]",
                           "unexpected 'encoder.weight_ih_l1'", "unexpected 'encoder.weight_hh_l1'",
                           "unexpected 'encoder.bias_ih_l1'", "unexpected 'encoder.bias_hh_l1'",
                           "(9 problems)"})
    BOOST_TEST(message.find(name) != std::string::npos, "'" << name << "' not in: " << message);
  BOOST_TEST((values(other) == before));
}

BOOST_AUTO_TEST_SUITE_END()
