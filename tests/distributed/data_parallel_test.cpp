// Data parallelism is exact: N ranks with b sequences each end with the weights of one process
// trained on the N*b sequences, and the ranks agree on errors instead of hanging. Run by CTest
// under `mpirun -np 2` (and once as a plain process, where every collective is a no-op).
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <string>

#include "training_fixture.hpp"

using namespace recur;
using namespace recur::test;
namespace dist = recur::distributed;

namespace {

constexpr int kSteps = 50;

// CTest says how many ranks it started, so that a launch that silently fell back to one
// process (and so compared a run with itself) fails instead of passing.
int expected_ranks() {
  const char* text = std::getenv("RECUR_EXPECT_RANKS");
  return text ? std::atoi(text) : 0;
}

// Trains `kSteps` steps data-parallel with `global_batch` sequences per step, and the same in
// one process without communication; returns the largest weight difference.
double data_parallel_vs_one_process(std::size_t global_batch, dist::AveragerOptions options,
                                    dist::CommunicationStats* sent) {
  dist::Communicator& world = dist::world();
  // Different initialisations per rank: the broadcast from rank 0 must make them equal.
  manual_seed(100 + world.rank());
  SequenceTagger parallel;
  dist::broadcast_parameters(parallel);
  optim::Adam parallel_adam(parallel.parameters(), {.lr = 1e-2});
  dist::GradientAverager averager(parallel.parameters(), world, options);

  manual_seed(100);  // rank 0's initialisation
  SequenceTagger single;
  optim::Adam single_adam(single.parameters(), {.lr = 1e-2});

  Generator data(7);  // the same stream of global batches on every rank
  Tape tape;
  const dist::Shard mine = dist::shard(global_batch, world);
  for (int step = 0; step < kSteps; ++step) {
    const GlobalBatch batch = draw_batch(data, global_batch);
    train_step(parallel, parallel_adam, tape, batch, mine, &averager);
    train_step(single, single_adam, tape, batch, {0, global_batch}, nullptr);
  }
  if (sent) *sent = averager.total_stats();
  return max_parameter_difference(parallel, single);
}

}  // namespace

BOOST_AUTO_TEST_CASE(launched_with_the_expected_number_of_ranks) {
  const int expected = expected_ranks();
  if (expected == 0) return;  // run by hand: any number of ranks is fine
  BOOST_TEST(dist::world().size() == expected);
  BOOST_TEST(dist::world().uses_mpi() == (expected > 1));
}

BOOST_AUTO_TEST_CASE(ranks_with_batch_b_match_one_process_with_the_global_batch) {
  const int ranks = dist::world().size();
  constexpr std::size_t kPerRank = 8;
  dist::CommunicationStats sent;
  const double difference = data_parallel_vs_one_process(kPerRank * ranks, {}, &sent);
  BOOST_TEST_MESSAGE("rank " << dist::world().rank() << ": max weight difference after "
                             << kSteps << " steps " << difference);
  BOOST_TEST(difference <= 1e-6);

  // One bucket (the model is far below 25 MB): one allreduce of all gradients and the weight
  // per step, and nothing at all in one process.
  SequenceTagger model;
  const std::size_t values = model.num_parameters() + 1;
  BOOST_TEST(sent.allreduce_calls == (ranks > 1 ? std::size_t(kSteps) : 0u));
  BOOST_TEST(sent.bytes == (ranks > 1 ? kSteps * values * sizeof(float) : 0u));
}

BOOST_AUTO_TEST_CASE(uneven_shards_weighted_by_size_match_too) {
  // An odd global batch: the shards differ by one sequence, and the averaging by shard size
  // still gives the gradient of the global mean. Small buckets cut parameters across messages.
  const int ranks = dist::world().size();
  const std::size_t global_batch = 8 * ranks + 1;
  dist::CommunicationStats sent;
  const double difference = data_parallel_vs_one_process(global_batch, {.bucket_bytes = 1000}, &sent);
  BOOST_TEST(difference <= 1e-6);
  SequenceTagger model;
  const std::size_t values = model.num_parameters() + 1, per_bucket = 1000 / sizeof(float);
  const std::size_t buckets = (values + per_bucket - 1) / per_bucket;
  BOOST_TEST(buckets > 1u);
  BOOST_TEST(sent.allreduce_calls == (ranks > 1 ? kSteps * buckets : 0u));
}

BOOST_AUTO_TEST_CASE(shards_cover_every_item_once_in_rank_order) {
  for (int size : {1, 2, 3, 7}) {
    for (std::size_t count : {0u, 1u, 6u, 10u, 101u}) {
      std::size_t next = 0;
      for (int rank = 0; rank < size; ++rank) {
        const dist::Shard part = dist::shard(count, rank, size);
        BOOST_TEST(part.begin == next);
        BOOST_TEST(part.size() <= count / size + 1);
        BOOST_TEST(part.size() >= count / size);
        next = part.end;
      }
      BOOST_TEST(next == count);
    }
  }
  BOOST_CHECK_THROW(dist::shard(10, 2, 2), ValueError);
  BOOST_CHECK_THROW(dist::shard(10, 0, 0), ValueError);
  BOOST_CHECK_THROW(dist::take_shard(IndexTensor::from_shape({3, 4}), 1, {2, 5}), ShapeError);
  BOOST_CHECK_THROW(dist::take_shard(IndexTensor::from_shape({3, 4}), 2, {0, 1}), ShapeError);
}

BOOST_AUTO_TEST_CASE(a_rank_with_another_model_makes_every_rank_throw) {
  dist::Communicator& world = dist::world();
  if (world.size() == 1) return;  // needs a second rank to disagree with
  SequenceTagger model;
  std::vector<Parameter*> params = model.parameters();
  Parameter extra(zeros({3}));
  if (world.rank() == 1) params.push_back(&extra);
  try {
    dist::GradientAverager averager(params, world);
    BOOST_FAIL("GradientAverager accepted ranks with different parameters");
  } catch (const dist::DistributedError& error) {
    const std::string message = error.what();
    BOOST_TEST_MESSAGE(message);
    BOOST_TEST(message.find("rank 1 has 7 parameters") != std::string::npos, message);
    BOOST_TEST(message.find("rank 0 has 6") != std::string::npos, message);
  }
  BOOST_CHECK_THROW(dist::broadcast_parameters(params, 0, world), dist::DistributedError);
  BOOST_CHECK_THROW(dist::broadcast_parameters(model, 5, world), dist::DistributedError);
}

BOOST_AUTO_TEST_CASE(a_failure_on_rank_0_reaches_every_rank) {
  dist::Communicator& world = dist::world();
  if (world.size() == 1) {
    BOOST_CHECK_THROW(dist::run_on_root("test", [] { throw IoError("disk full"); }), IoError);
    return;
  }
  try {
    dist::run_on_root("test write", [] { throw IoError("disk full"); });
    BOOST_FAIL("run_on_root hid rank 0's failure");
  } catch (const dist::DistributedError& error) {
    BOOST_TEST(std::string(error.what()) == "test write on rank 0: disk full");
  }
  SequenceTagger model;
  optim::Adam adam(model.parameters());
  BOOST_CHECK_THROW(dist::save_checkpoint("/nonexistent-dir/x.npz", {.model = &model, .optimizer = &adam}, 1),
                    dist::DistributedError);
}

BOOST_AUTO_TEST_CASE(only_rank_0_prints) {
  // Rank 1 of 2 (a stand-in communicator, no MPI needed) prints nothing; rank 0 everything.
  std::ostringstream captured;
  std::streambuf* saved = std::cout.rdbuf(captured.rdbuf());
  {
    const dist::Communicator rank_one(1, 2, false);
    const dist::RootOnlyConsole console(rank_one);
    std::cout << "from rank 1";
    dist::root_out(rank_one) << "also from rank 1";
  }
  std::cout << "after";
  {
    const dist::Communicator rank_zero(0, 2, false);
    const dist::RootOnlyConsole console(rank_zero);
    dist::root_out(rank_zero) << ", from rank 0";
  }
  std::cout.rdbuf(saved);
  BOOST_TEST(captured.str() == "after, from rank 0");
}

BOOST_AUTO_TEST_CASE(bad_averager_options_and_weights_are_refused) {
  SequenceTagger model;
  BOOST_CHECK_THROW(dist::GradientAverager(model.parameters(), dist::world(), {.bucket_bytes = 4}),
                    ValueError);
  dist::GradientAverager averager(model.parameters());
  BOOST_CHECK_THROW(averager.average(-1.0), ValueError);
  BOOST_CHECK_THROW(averager.average(std::nan("")), ValueError);
}
