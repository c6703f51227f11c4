// save/load: round trips, all-or-nothing loading with every mismatch named, damaged files,
// and saves that fail without hurting the previous file.
#include <boost/test/unit_test.hpp>

#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <sys/resource.h>
#include <unistd.h>

#include "autograd/tape.hpp"
#include "core/error.hpp"
#include "core/npz.hpp"
#include "layers/serialize.hpp"
#include "serialize_support.hpp"

using namespace recur;
using test::ScratchDir;

namespace {

std::string load_error(nn::Module& module, const std::string& path) {
  try {
    nn::load(module, path);
  } catch (const IoError& error) {
    return error.what();
  }
  return "";
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::vector<char> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const std::string& path, const std::vector<char>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(serialize)

BOOST_AUTO_TEST_CASE(save_then_load_restores_every_parameter_bitwise) {
  ScratchDir dir;
  nn::Sequential saved, fresh;
  test::build_mlp(saved, 5, 7, 3, 1);
  test::build_mlp(fresh, 5, 7, 3, 2);
  BOOST_TEST(!test::unchanged(fresh, test::snapshot(saved)));  // different seeds, different weights
  nn::save(saved, dir.file("model.npz"));

  std::vector<std::uint64_t> versions;
  for (Parameter* parameter : fresh.parameters()) versions.push_back(parameter->version);
  nn::load(fresh, dir.file("model.npz"));
  BOOST_TEST(test::unchanged(fresh, test::snapshot(saved)));
  const auto parameters = fresh.parameters();
  for (std::size_t i = 0; i < parameters.size(); ++i)
    BOOST_TEST(parameters[i]->version == versions[i] + 1);

  // The same inputs give the same outputs.
  Tape tape;
  const Var x = tape.input(Generator(3).uniform({4, 5}, -1.0f, 1.0f));
  BOOST_TEST((saved(x).value() == fresh(x).value()));
}

BOOST_AUTO_TEST_CASE(the_file_holds_one_float32_entry_per_pytorch_name) {
  ScratchDir dir;
  nn::Sequential model;
  test::build_mlp(model, 4, 6, 2, 5);
  nn::save(model, dir.file("model.npz"));
  const NpzEntries entries = load_npz(dir.file("model.npz"));
  const std::vector<std::pair<std::string, Shape>> expected = {
      {"0.weight", {6, 4}}, {"0.bias", {6}}, {"2.weight", {2, 6}}, {"2.bias", {2}}};
  BOOST_TEST_REQUIRE(entries.size() == expected.size());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    BOOST_TEST(entries[i].first == expected[i].first);
    BOOST_TEST((entries[i].second.shape == expected[i].second), entries[i].first);
    BOOST_TEST((entries[i].second.dtype == DType::float32), entries[i].first);
    BOOST_TEST((entries[i].second.to_tensor() == model.parameters()[i]->value), entries[i].first);
  }
}

BOOST_AUTO_TEST_CASE(state_dict_and_load_state_dict_round_trip_in_memory) {
  nn::Sequential source, target;
  test::build_mlp(source, 3, 4, 2, 7);
  test::build_mlp(target, 3, 4, 2, 8);
  const NpzEntries entries = nn::state_dict(source);
  BOOST_TEST(entries.size() == 4u);
  nn::load_state_dict(target, entries, "checkpoint.npz: model");
  BOOST_TEST(test::unchanged(target, test::snapshot(source)));
  // The state is a copy: changing the model afterwards leaves it alone.
  source.parameters()[0]->value(0, 0) += 1.0f;
  BOOST_TEST((entries[0].second.to_tensor() != source.parameters()[0]->value));
}

BOOST_AUTO_TEST_CASE(a_mismatched_file_names_every_problem_and_changes_nothing) {
  ScratchDir dir;
  nn::Sequential saved, other;
  test::build_mlp(saved, 4, 3, 2, 1);                        // 0.weight [3,4] 0.bias [3] 2.weight [2,3] 2.bias [2]
  test::build_mlp(other, 4, 5, 2, 2, /*last_bias=*/false);   // 0.weight [5,4] 0.bias [5] 2.weight [2,5]
  other.emplace<nn::ReLU>();
  other.emplace<nn::Linear>(nn::LinearOptions{.in_features = 2, .out_features = 2});  // 4.weight, 4.bias
  nn::save(saved, dir.file("model.npz"));
  const auto before = test::snapshot(other);

  const std::string message = load_error(other, dir.file("model.npz"));
  BOOST_TEST_REQUIRE(!message.empty(), "a mismatched file loaded");
  BOOST_TEST(contains(message, dir.file("model.npz")), message);
  BOOST_TEST(contains(message, "6 problems"), message);
  BOOST_TEST(contains(message, "'0.weight' has shape [3, 4], the model expects [5, 4]"), message);
  BOOST_TEST(contains(message, "'0.bias' has shape [3], the model expects [5]"), message);
  BOOST_TEST(contains(message, "'2.weight' has shape [2, 3], the model expects [2, 5]"), message);
  BOOST_TEST(contains(message, "missing '4.weight'"), message);
  BOOST_TEST(contains(message, "missing '4.bias'"), message);
  BOOST_TEST(contains(message, "unexpected '2.bias'"), message);
  BOOST_TEST(test::unchanged(other, before));
}

BOOST_AUTO_TEST_CASE(a_wrong_dtype_is_named_and_changes_nothing) {
  nn::Sequential model;
  test::build_mlp(model, 2, 2, 1, 4);
  NpzEntries entries = nn::state_dict(model);
  // 0.bias as float64, as np.savez writes an array nobody converted.
  NpyArray& bias = entries[1].second;
  std::vector<double> doubles = {0.5, -0.5};
  bias.dtype = DType::float64;
  bias.bytes.resize(doubles.size() * sizeof(double));
  std::memcpy(bias.bytes.data(), doubles.data(), bias.bytes.size());
  entries[0].second.to_tensor();  // still float32
  for (Parameter* parameter : model.parameters()) parameter->value.fill(9.0f);
  const auto before = test::snapshot(model);
  try {
    nn::load_state_dict(model, entries, "fixture.npz");
    BOOST_FAIL("a float64 entry was accepted");
  } catch (const IoError& error) {
    const std::string message = error.what();
    BOOST_TEST(contains(message, "fixture.npz"), message);
    BOOST_TEST(contains(message, "'0.bias' has dtype float64, expected float32"), message);
    BOOST_TEST(contains(message, "1 problem)"), message);
  }
  BOOST_TEST(test::unchanged(model, before));
}

BOOST_AUTO_TEST_CASE(damaged_files_give_a_clear_error_and_change_nothing) {
  ScratchDir dir;
  nn::Sequential saved, model;
  test::build_mlp(saved, 32, 32, 4, 1);  // mostly one 4 KiB weight, so the middle is data
  test::build_mlp(model, 32, 32, 4, 2);
  nn::save(saved, dir.file("good.npz"));
  const std::vector<char> good = read_bytes(dir.file("good.npz"));
  const auto before = test::snapshot(model);

  std::vector<char> truncated(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(good.size() / 2));
  write_bytes(dir.file("truncated.npz"), truncated);
  std::vector<char> flipped = good;
  flipped[good.size() / 2] ^= 0x5a;
  write_bytes(dir.file("flipped.npz"), flipped);
  write_bytes(dir.file("garbage.npz"), std::vector<char>(1000, 'x'));
  write_bytes(dir.file("empty.npz"), {});

  for (const char* name : {"truncated.npz", "flipped.npz", "garbage.npz", "empty.npz", "absent.npz"}) {
    const std::string message = load_error(model, dir.file(name));
    BOOST_TEST(!message.empty(), name << " loaded without error");
    BOOST_TEST(contains(message, dir.file(name)), name << ": " << message);
    BOOST_TEST(test::unchanged(model, before), name << " changed the weights");
  }
  // The undamaged file still loads.
  nn::load(model, dir.file("good.npz"));
  BOOST_TEST(test::unchanged(model, test::snapshot(saved)));
}

BOOST_AUTO_TEST_CASE(a_failed_save_leaves_the_previous_file_intact) {
  ScratchDir dir;
  nn::Sequential first, second;
  test::build_mlp(first, 64, 64, 8, 1);
  test::build_mlp(second, 64, 64, 8, 2);
  const std::string path = dir.file("model.npz");
  nn::save(first, path);
  const std::vector<char> original = read_bytes(path);

  // A file-size limit below the archive's size makes the write fail, as a full disk would; it
  // binds root too, which a read-only folder does not.
  rlimit old_limit{};
  ::getrlimit(RLIMIT_FSIZE, &old_limit);
  const auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  rlimit small = old_limit;
  small.rlim_cur = 4096;
  ::setrlimit(RLIMIT_FSIZE, &small);
  bool threw = false;
  std::string message;
  try {
    nn::save(second, path);
  } catch (const IoError& error) {
    threw = true;
    message = error.what();
  }
  ::setrlimit(RLIMIT_FSIZE, &old_limit);
  std::signal(SIGXFSZ, old_handler);
  BOOST_TEST(threw, "a save past the file-size limit reported success");
  BOOST_TEST(contains(message, path), message);
  BOOST_TEST((read_bytes(path) == original), "the previous file changed");
  // No temporary file is left behind.
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) files += entry.is_regular_file();
  BOOST_TEST(files == 1u);

  // A folder that cannot be written (checked only where permissions bind: not as root).
  if (::geteuid() != 0) {
    std::filesystem::permissions(dir.path(), std::filesystem::perms::owner_read |
                                                 std::filesystem::perms::owner_exec);
    BOOST_CHECK_THROW(nn::save(second, path), IoError);
    std::filesystem::permissions(dir.path(), std::filesystem::perms::owner_all);
    BOOST_TEST((read_bytes(path) == original), "the previous file changed");
  } else {
    BOOST_TEST_MESSAGE("running as root: the read-only folder case is skipped (root writes anyway)");
  }
  // A folder that does not exist.
  BOOST_CHECK_THROW(nn::save(second, dir.file("no/such/folder/model.npz")), IoError);
}

BOOST_AUTO_TEST_SUITE_END()
