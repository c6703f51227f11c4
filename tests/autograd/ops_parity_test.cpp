// Parity of the ops with PyTorch: every fixture of tests/fixtures/gen_ops.py has a case here that
// calls our op with the arguments the generator gave torch's (see op_parity.hpp for what is
// compared and how closely), and every case has its fixture.
#include <boost/test/unit_test.hpp>
#include <limits>

#include "autograd/ops/activations.hpp"
#include "autograd/ops/cumulative.hpp"
#include "autograd/ops/elementwise.hpp"
#include "autograd/ops/indexing.hpp"
#include "autograd/ops/layout_ops.hpp"
#include "autograd/ops/linalg.hpp"
#include "autograd/ops/losses.hpp"
#include "autograd/ops/nn_ops.hpp"
#include "autograd/ops/normalization.hpp"
#include "autograd/ops/reductions.hpp"
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

Tensor as_tensor(const IndexTensor& index) { return xt::cast<float>(index); }

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
      // indexing and layout
      {"gather_middle_axis",
       {[](OpFixture& f) { return gather(f.var("x"), 1, f.index("index")); }}},
      {"index_select_repeats",
       {[](OpFixture& f) { return index_select(f.var("x"), 0, f.index("index")); }}},
      {"index_select_last_axis",
       {[](OpFixture& f) { return index_select(f.var("x"), -1, f.index("index")); }}},
      {"expand_new_and_unit_axes", {[](OpFixture& f) {
         return expand(f.var("x"), {2, 3, 4});
       }}},
      {"flip_two_axes", {[](OpFixture& f) {
         return flip(f.var("x"), {0, 2});
       }}},
      {"pad_two_axes", {[](OpFixture& f) {
         return pad(f.var("x"), {1, 2, 0, 1}, 0.5f);
       }}},
      {"pad_crop", {[](OpFixture& f) {
         return pad(f.var("x"), {-1, 2, 2, -1});
       }}},
      // activations and elementwise math
      {"silu", {[](OpFixture& f) { return silu(f.var("x")); }}},
      {"leaky_relu", {[](OpFixture& f) { return leaky_relu(f.var("x"), 0.2f); }}},
      {"softplus", {[](OpFixture& f) { return softplus(f.var("x"), 2.0f, 3.0f); }}},
      {"log_sigmoid", {[](OpFixture& f) { return log_sigmoid(f.var("x")); }}},
      {"abs", {[](OpFixture& f) { return abs(f.var("x")); }}},
      {"sqrt", {[](OpFixture& f) { return recur::sqrt(f.var("x")); }}},
      {"pow_fractional", {[](OpFixture& f) { return recur::pow(f.var("x"), 1.7f); }}},
      {"pow_cube_of_signed", {[](OpFixture& f) { return recur::pow(f.var("x"), 3.0f); }}},
      {"clamp", {[](OpFixture& f) { return clamp(f.var("x"), -1.0f, 1.0f); }}},
      {"maximum_ties", {[](OpFixture& f) { return maximum(f.var("a"), f.var("b")); }}},
      {"minimum_broadcast", {[](OpFixture& f) { return minimum(f.var("a"), f.var("b")); }}},
      // reductions
      {"max_axis_ties",
       {[](OpFixture& f) { return max(f.var("x"), 1); },
        [](OpFixture& f) {
          return std::map<std::string, Tensor>{{"argmax", as_tensor(argmax(f.var("x"), 1))}};
        }}},
      {"min_axis0_keepdim",
       {[](OpFixture& f) { return min(f.var("x"), 0, true); },
        [](OpFixture& f) {
          return std::map<std::string, Tensor>{{"argmin", as_tensor(argmin(f.var("x"), 0, true))}};
        }}},
      {"max_all_ties", {[](OpFixture& f) { return max(f.var("x")); }}},
      {"logsumexp", {[](OpFixture& f) { return logsumexp(f.var("x"), 1); }}},
      {"var_unbiased", {[](OpFixture& f) { return var(f.var("x"), 1); }}},
      {"var_biased_keepdim", {[](OpFixture& f) { return var(f.var("x"), 1, false, true); }}},
      {"var_all", {[](OpFixture& f) { return var(f.var("x")); }}},
      {"norm_1", {[](OpFixture& f) { return norm(f.var("x"), 1.0f, 1); }}},
      {"norm_2", {[](OpFixture& f) { return norm(f.var("x"), 2.0f, 0); }}},
      {"norm_inf_ties", {[](OpFixture& f) { return norm(f.var("x"), kInf, -1); }}},
      {"norm_2_all", {[](OpFixture& f) { return norm(f.var("x")); }}},
      // scans
      {"cumsum_time", {[](OpFixture& f) { return cumsum(f.var("x"), 0); }}},
      {"cumsum_last", {[](OpFixture& f) { return cumsum(f.var("x"), -1); }}},
      {"logcumsumexp_time", {[](OpFixture& f) { return logcumsumexp(f.var("x"), 0); }}},
      {"logcumsumexp_large", {[](OpFixture& f) { return logcumsumexp(f.var("x"), 1); }}},
      {"logcumsumexp_min_gru_scan", {[](OpFixture& f) {
         const Var a_star = cumsum(log_sigmoid(f.var("gate")), 0);
         return a_star + logcumsumexp(recur::log(f.var("value")) - a_star, 0);
       }}},
      // losses
      {"bce_with_logits_mean", {[](OpFixture& f) {
         return binary_cross_entropy_with_logits(f.var("x"), f.var("target"));
       }}},
      {"bce_with_logits_pos_weight_none", {[](OpFixture& f) {
         return binary_cross_entropy_with_logits(f.var("x"), f.var("target"), Reduction::none,
                                                 f.constant_var("pos_weight"));
       }}},
      {"bce_with_logits_pos_weight_sum", {[](OpFixture& f) {
         return binary_cross_entropy_with_logits(f.var("x"), f.var("target"), Reduction::sum,
                                                 f.constant_var("pos_weight"));
       }}},
      {"nll_loss_mean_ignore",
       {[](OpFixture& f) { return nll_loss(f.var("log_probs"), f.index("target")); }}},
      {"nll_loss_sum", {[](OpFixture& f) {
         return nll_loss(f.var("log_probs"), f.index("target"), -100, Reduction::sum);
       }}},
      {"nll_loss_none", {[](OpFixture& f) {
         return nll_loss(f.var("log_probs"), f.index("target"), -100, Reduction::none);
       }}},
      {"huber_loss_mean", {[](OpFixture& f) {
         return huber_loss(f.var("input"), f.var("target"), Reduction::mean, 0.8f);
       }}},
      {"huber_loss_none", {[](OpFixture& f) {
         return huber_loss(f.var("input"), f.var("target"), Reduction::none, 0.8f);
       }}},
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
