// A checkpoint written by rank 0 of a data-parallel run is an ordinary checkpoint: every rank
// reads it back to the same state, and a single process resumes from it and continues exactly
// as the data-parallel run did. CTest runs the first case under mpirun, then the second case as
// a plain process on the files it left ($RECUR_DISTRIBUTED_DIR).
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <filesystem>

#include "layers/serialize.hpp"
#include "training_fixture.hpp"

using namespace recur;
using namespace recur::test;
namespace dist = recur::distributed;

namespace {

constexpr std::uint64_t kStepsBefore = 20, kStepsAfter = 20;
constexpr std::size_t kGlobalBatch = 16;

std::filesystem::path work_dir() {
  const char* dir = std::getenv("RECUR_DISTRIBUTED_DIR");
  return dir && *dir ? std::filesystem::path(dir)
                     : std::filesystem::temp_directory_path() / "recur_distributed_checkpoint";
}

// Model, optimiser and data stream: what the checkpoint holds.
struct Run {
  SequenceTagger model;
  optim::Adam adam{model.parameters(), {.lr = 1e-2}};
  Generator data{11};
  Tape tape;
  optim::CheckpointParts parts() { return {.model = &model, .optimizer = &adam, .generator = &data}; }
  void train(std::uint64_t steps, dist::Shard part, dist::GradientAverager* averager) {
    for (std::uint64_t step = 0; step < steps; ++step)
      train_step(model, adam, tape, draw_batch(data, kGlobalBatch), part, averager);
  }
};

}  // namespace

BOOST_AUTO_TEST_CASE(checkpoint_written_under_mpi_reloads_on_every_rank) {
  dist::Communicator& world = dist::world();
  dist::run_on_root("create the work folder", [] { std::filesystem::create_directories(work_dir()); });
  const std::string checkpoint = (work_dir() / "checkpoint.npz").string();
  const std::string final_weights = (work_dir() / "final_weights.npz").string();

  manual_seed(200 + world.rank());
  Run run;
  dist::broadcast_parameters(run.model);
  dist::GradientAverager averager(run.model.parameters());
  const dist::Shard mine = dist::shard(kGlobalBatch, world);
  run.train(kStepsBefore, mine, &averager);
  dist::save_checkpoint(checkpoint, run.parts(), kStepsBefore);

  // Every rank reads it back into a differently initialised copy: same weights, same data stream.
  manual_seed(999);
  Run copy;
  copy.data.seed(0);
  BOOST_TEST(dist::load_checkpoint(checkpoint, copy.parts()) == kStepsBefore);
  BOOST_TEST(max_parameter_difference(run.model, copy.model) == 0.0);
  BOOST_TEST(copy.data.state() == run.data.state());

  // The data-parallel run goes on; rank 0 keeps its weights for the single-process resume.
  run.train(kStepsAfter, mine, &averager);
  dist::run_on_root("save the final weights", [&] { nn::save(run.model, final_weights); });
}

BOOST_AUTO_TEST_CASE(checkpoint_resumes_in_one_process) {
  BOOST_REQUIRE_EQUAL(dist::world().size(), 1);
  const std::filesystem::path checkpoint = work_dir() / "checkpoint.npz";
  BOOST_REQUIRE_MESSAGE(std::filesystem::exists(checkpoint),
                        checkpoint.string() + " is missing: run the MPI case first");
  manual_seed(12345);
  Run resumed;
  resumed.data.seed(0);
  BOOST_TEST(optim::load_checkpoint(checkpoint.string(), resumed.parts()) == kStepsBefore);
  resumed.train(kStepsAfter, {0, kGlobalBatch}, nullptr);  // the whole global batch, one process

  manual_seed(1);
  Run reference;
  nn::load(reference.model, (work_dir() / "final_weights.npz").string());
  const double difference = max_parameter_difference(resumed.model, reference.model);
  BOOST_TEST_MESSAGE("largest difference to the data-parallel run: " << difference);
  BOOST_TEST(difference <= 1e-6);
}
