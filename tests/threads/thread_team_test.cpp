// recur's thread team (core/kernels/team.hpp): every member runs once, the barrier holds them
// together, parallel_for covers its range exactly once, nested regions and ThreadLimit run
// alone, a product split over the team equals the unsplit product bit for bit, and the members'
// learned speeds (core/kernels/balance.hpp) follow the busy times reported and split by them. (Boost.Test's
// checks are not thread-safe: the members only record, the checks run after the region.)
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <cstring>
#include <thread>
#include <vector>

#include "core/error.hpp"
#include "core/gemm.hpp"
#include "core/kernels/balance.hpp"
#include "core/kernels/team.hpp"
#include "core/random.hpp"
#include "core/threads.hpp"

namespace {

using recur::kernels::TeamMember;

// Restores the thread count a test changed.
struct ThreadsRestored {
  int before = recur::num_threads();
  ~ThreadsRestored() { recur::set_num_threads(before); }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(thread_team)

BOOST_AUTO_TEST_CASE(every_member_runs_once_and_the_barrier_holds_them_together) {
  ThreadsRestored restore;
  for (int threads : {1, 2, 3, 4}) {
    recur::set_num_threads(threads);
    BOOST_TEST(recur::kernels::available_threads() == static_cast<std::size_t>(threads));
    std::vector<int> runs(threads, 0), seen(threads * threads, -1);
    std::vector<std::atomic<int>> slots(threads);
    for (int round = 0; round < 50; ++round) {
      recur::kernels::run_team(threads, [&](const TeamMember& m) {
        ++runs[m.thread];
        slots[m.thread].store(round, std::memory_order_relaxed);
        m.barrier();  // every member wrote its slot before any reads the others
        for (std::size_t other = 0; other < m.threads; ++other)
          seen[m.thread * threads + other] = slots[other].load(std::memory_order_relaxed);
        m.barrier();  // and nobody starts the next round's writes before all have read
      });
      for (int v : seen) BOOST_TEST(v == round);
    }
    for (int r : runs) BOOST_TEST(r == 50);
  }
}

BOOST_AUTO_TEST_CASE(parallel_for_covers_its_range_once_in_whole_grains) {
  ThreadsRestored restore;
  recur::set_num_threads(3);
  for (std::size_t count : {0, 1, 15, 16, 17, 100, 1000}) {
    std::vector<std::atomic<int>> hits(count);
    std::atomic<int> misaligned{0};
    recur::kernels::parallel_for(count, 16, 1, [&](std::size_t begin, std::size_t end) {
      if (begin % 16 != 0) ++misaligned;
      for (std::size_t i = begin; i < end; ++i) hits[i].fetch_add(1);
    });
    BOOST_TEST(misaligned.load() == 0);
    for (std::size_t i = 0; i < count; ++i) BOOST_TEST(hits[i].load() == 1);
  }
}

BOOST_AUTO_TEST_CASE(nested_regions_and_thread_limits_run_alone) {
  ThreadsRestored restore;
  recur::set_num_threads(3);
  std::atomic<int> inner_sizes{0}, inner_available{0};
  recur::kernels::run_team(3, [&](const TeamMember&) {
    inner_available += static_cast<int>(recur::kernels::available_threads());
    recur::kernels::run_team(3, [&](const TeamMember& inner) { inner_sizes += inner.threads; });
  });
  BOOST_TEST(inner_available.load() == 3);  // one available to each of the three members
  BOOST_TEST(inner_sizes.load() == 3);      // and each ran its inner region alone
  {
    recur::ThreadLimit limit(2);
    BOOST_TEST(recur::kernels::available_threads() == 2u);
    recur::ThreadLimit tighter(1);
    BOOST_TEST(recur::kernels::available_threads() == 1u);
  }
  BOOST_TEST(recur::kernels::available_threads() == 3u);
  BOOST_CHECK_THROW(recur::ThreadLimit(0), recur::ValueError);
  BOOST_CHECK_THROW(recur::set_num_threads(0), recur::ValueError);
}

BOOST_AUTO_TEST_CASE(team_regions_flush_denormals_to_zero_unless_told_not_to) {
  ThreadsRestored restore;
  const bool before = recur::flush_denormal();
  volatile float tiny = 1e-38f;  // a normal float; half of it is denormal
  for (bool flush : {true, false}) {
    recur::set_flush_denormal(flush);
    BOOST_TEST(recur::flush_denormal() == flush);
    for (int threads : {1, 2}) {
      recur::set_num_threads(threads);
      std::vector<float> halves(threads, -1.0f);
      recur::kernels::run_team(threads, [&](const TeamMember& m) { halves[m.thread] = tiny * 0.5f; });
      for (float half : halves) BOOST_TEST((half == 0.0f) == flush, "threads " << threads);
    }
  }
  BOOST_TEST(tiny * 0.5f != 0.0f);  // outside a region the thread's own mode is back
  recur::set_flush_denormal(before);
}

BOOST_AUTO_TEST_CASE(a_product_split_over_the_team_is_bitwise_the_unsplit_one) {
  ThreadsRestored restore;
  recur::Generator gen(9);
  struct Shape { std::size_t m, n, k; bool ta, tb; };
  for (const Shape s : {Shape{256, 200, 300, false, false}, Shape{1024, 64, 2048, true, false},
                        Shape{200, 1024, 257, false, true}, Shape{2048, 64, 1024, false, false},
                        Shape{33, 700, 500, true, true}, Shape{1, 1024, 2048, false, true}}) {
    const recur::Tensor a = s.ta ? gen.uniform({s.k, s.m}, -1.0f, 1.0f)
                                 : gen.uniform({s.m, s.k}, -1.0f, 1.0f);
    const recur::Tensor b = s.tb ? gen.uniform({s.n, s.k}, -1.0f, 1.0f)
                                 : gen.uniform({s.k, s.n}, -1.0f, 1.0f);
    const recur::Tensor start = gen.uniform({s.m, s.n}, -1.0f, 1.0f);
    std::vector<recur::Tensor> results;
    for (int threads : {1, 2, 3}) {
      recur::set_num_threads(threads);
      recur::Tensor c = start;
      recur::gemm_raw(a.data(), s.ta, b.data(), s.tb, c.data(), s.m, s.n, s.k, 0.5f, 1.0f);
      results.push_back(c);
    }
    for (std::size_t i = 1; i < results.size(); ++i)
      BOOST_TEST(std::memcmp(results[i].data(), results[0].data(), results[0].size() * 4) == 0,
                 "m " << s.m << " n " << s.n << " k " << s.k << ": " << i + 1
                      << " threads differ from 1");
  }
}

BOOST_AUTO_TEST_CASE(weighted_shares_cover_the_range_once_in_proportion_to_the_weights) {
  recur::kernels::MemberWeights weights;
  weights.weight.fill(1.0f);
  weights.weight[0] = 3.0f;  // member 0 three times as fast as the others
  for (std::size_t threads : {1, 2, 3}) {
    for (std::size_t count : {0, 1, 5, 32, 33, 100}) {
      std::size_t covered = 0;
      for (std::size_t t = 0; t < threads; ++t) {
        const recur::kernels::Range r =
            recur::kernels::weighted_share(count, t, threads, weights);
        BOOST_TEST(r.begin == covered, "member " << t << " of " << threads << " starts at "
                                                 << r.begin << ", not " << covered);
        BOOST_TEST(r.end >= r.begin);
        covered = r.end;
      }
      BOOST_TEST(covered == count);
    }
  }
  // 32 rows for weights 3 : 1 are 24 : 8; 64 in grains of 16 are 3 grains : 1.
  BOOST_TEST(recur::kernels::weighted_share(32, 0, 2, weights).end == 24u);
  BOOST_TEST(recur::kernels::weighted_share(32, 1, 2, weights).begin == 24u);
  BOOST_TEST(recur::kernels::weighted_share(64, 0, 2, weights, 16).end == 48u);
  // Equal weights split evenly (100 in three: 33, 34, 33), and a weight just under the others'
  // rounds to the nearest row (0.985 of 32 rows in two is 15.76: 16).
  weights.weight.fill(1.0f);
  const std::size_t even[] = {33, 34, 33};
  for (std::size_t t = 0; t < 3; ++t) {
    const recur::kernels::Range r = recur::kernels::weighted_share(100, t, 3, weights);
    BOOST_TEST(r.end - r.begin == even[t]);
  }
  weights.weight[0] = 0.985f;
  BOOST_TEST(recur::kernels::weighted_share(32, 0, 2, weights).end == 16u);
}

BOOST_AUTO_TEST_CASE(reported_busy_times_move_the_weights_towards_the_measured_speeds) {
  recur::kernels::reset_member_weights();
  BOOST_TEST(recur::kernels::member_weights().weight[0] == 1.0f);
  // Member 1 does the same work in twice member 0's time: speeds 2 : 1, i.e. 4/3 and 2/3 of
  // their mean. Each report moves part of the way there.
  const double seconds[2] = {1e-3, 2e-3}, work[2] = {64, 64};
  recur::kernels::report_busy(seconds, work, 2);
  const float first = recur::kernels::member_weights().weight[0];
  BOOST_TEST(first > 1.0f);
  BOOST_TEST(first < 4.0f / 3.0f);
  for (int i = 0; i < 40; ++i) recur::kernels::report_busy(seconds, work, 2);
  {
    const recur::kernels::MemberWeights w = recur::kernels::member_weights();
    BOOST_TEST(w.weight[0] == 4.0f / 3.0f, boost::test_tools::tolerance(1e-3f));
    BOOST_TEST(w.weight[1] == 2.0f / 3.0f, boost::test_tools::tolerance(1e-3f));
    BOOST_TEST(w.fraction(1, 2) == 2.0 / 3.0, boost::test_tools::tolerance(1e-3));
  }
  // Regions too short to time, one-member regions and members without work teach nothing.
  const float before = recur::kernels::member_weights().weight[0];
  const double short_seconds[2] = {2e-5, 1e-5}, no_work[2] = {64, 0};
  recur::kernels::report_busy(short_seconds, work, 2);
  recur::kernels::report_busy(seconds, no_work, 2);
  recur::kernels::report_busy(seconds, work, 1);
  BOOST_TEST(recur::kernels::member_weights().weight[0] == before);
  // A member reported 100x slower counts as at most 2x slower than the average.
  recur::kernels::reset_member_weights();
  const double stalled[2] = {1e-3, 1e-1};
  for (int i = 0; i < 40; ++i) recur::kernels::report_busy(stalled, work, 2);
  BOOST_TEST(recur::kernels::member_weights().weight[1] >= 0.39f);
  recur::kernels::reset_member_weights();
}

BOOST_AUTO_TEST_SUITE_END()
