// Parity of the ops with PyTorch: every fixture of tests/fixtures/gen_ops.py has a case here that
// calls our op with the arguments the generator gave torch's (see op_parity.hpp for what is
// compared and how closely), and every case has its fixture.
#include <boost/test/unit_test.hpp>
#include <limits>

#include "autograd/ops/activations.hpp"
#include "autograd/ops/indexing.hpp"
#include "autograd/ops/layout_ops.hpp"
#include "autograd/ops/linalg.hpp"
#include "autograd/ops/nn_ops.hpp"
#include "autograd/ops/normalization.hpp"
#include "op_parity.hpp"

using namespace recur;
using recur::test::check_parity;
using recur::test::OpFixture;

namespace {

using Op = std::function<Var(OpFixture&)>;
using Extras = std::function<std::map<std::string, Tensor>(OpFixture&)>;

struct ParityCase {
  Op op;
  Extras extras = nullptr;
};

constexpr float kInf = std::numeric_limits<float>::infinity();

// fixture name -> our call, with the arguments gen_ops.py passes to torch.
const std::map<std::string, ParityCase>& parity_cases() {
  static const std::map<std::string, ParityCase> cases = {
      // normalisation, products, masking, permute, gelu
      {"layer_norm_affine",
       {[](OpFixture& f) { return layer_norm(f.var("x"), 5, f.var("weight"), f.var("bias")); }}},
      {"layer_norm_two_axes", {[](OpFixture& f) {
         return layer_norm(f.var("x"), Shape{3, 4}, f.var("weight"), f.var("bias"), 1e-3f);
       }}},
      {"layer_norm_plain", {[](OpFixture& f) { return layer_norm(f.var("x"), 6); }}},
      {"bmm", {[](OpFixture& f) { return bmm(f.var("a"), f.var("b")); }}},
      {"bmm_transposed", {[](OpFixture& f) { return bmm(f.var("a"), f.var("b"), true, true); }}},
      {"matmul_broadcast", {[](OpFixture& f) { return matmul(f.var("a"), f.var("b")); }}},
      {"matmul_shared_right_transposed",
       {[](OpFixture& f) { return matmul(f.var("a"), f.var("b"), false, true); }}},
      {"matmul_left_transposed_batch",
       {[](OpFixture& f) { return matmul(f.var("a"), f.var("b"), true, false); }}},
      {"matmul_vector_by_batch", {[](OpFixture& f) { return matmul(f.var("a"), f.var("b")); }}},
      {"matmul_batch_by_vector", {[](OpFixture& f) { return matmul(f.var("a"), f.var("b")); }}},
      {"masked_fill_causal",
       {[](OpFixture& f) { return masked_fill(f.var("x"), f.constant("mask"), -3.5f); }}},
      {"masked_fill_broadcast_middle",
       {[](OpFixture& f) { return masked_fill(f.var("x"), f.constant("mask"), 2.0f); }}},
      {"masked_fill_softmax", {[](OpFixture& f) {
         return softmax(masked_fill(f.var("x"), f.constant("mask"), -kInf), -1);
       }}},
      {"permute_swap_middle", {[](OpFixture& f) {
         return permute(f.var("x"), {0, 2, 1, 3});
       }}},
      {"permute_scrambled", {[](OpFixture& f) {
         return permute(f.var("x"), {3, 1, 0, 2});
       }}},
      {"gelu", {[](OpFixture& f) { return gelu(f.var("x")); }}},
      {"gelu_tanh", {[](OpFixture& f) { return gelu(f.var("x"), GeluApproximation::tanh); }}},
  };
  return cases;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ops_parity)

BOOST_AUTO_TEST_CASE(every_op_matches_torch_in_value_and_gradient) {
  for (const auto& [name, parity_case] : parity_cases())
    check_parity(name, parity_case.op, parity_case.extras);
}

BOOST_AUTO_TEST_CASE(every_fixture_has_a_case_and_every_case_a_fixture) {
  std::set<std::string> cases;
  for (const auto& [name, parity_case] : parity_cases()) cases.insert(name);
  const std::set<std::string> fixtures = recur::test::ops_fixture_names();
  for (const std::string& name : fixtures)
    BOOST_TEST(cases.count(name) == 1u, name << ".npz has no case in ops_parity_test.cpp");
  for (const std::string& name : cases)
    BOOST_TEST(fixtures.count(name) == 1u, "no fixture " << name << ".npz: run gen_ops.py");
}

BOOST_AUTO_TEST_SUITE_END()
