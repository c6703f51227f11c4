// recur's thread team (core/kernels/team.hpp): every member runs once, the barrier holds them
// together, parallel_for covers its range exactly once, nested regions and ThreadLimit run
// alone, and a product split over the team equals the unsplit product bit for bit. (Boost.Test's
// checks are not thread-safe: the members only record, the checks run after the region.)
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <cstring>
#include <thread>
#include <vector>

#include "core/error.hpp"
#include "core/gemm.hpp"
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

BOOST_AUTO_TEST_SUITE_END()
