// The LRU as ops on the tape: B u for every step at once, then per step the rotation and
// scaling of (x_re, x_im) by lambda, then the readout Re(C x) + D u for every step at once.
#include "layers/zoo/lru.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include <xtensor/xnoalias.hpp>

#include "autograd/anomaly.hpp"
#include "autograd/ops/elementwise.hpp"
#include "autograd/ops/linalg.hpp"
#include "autograd/ops/rotation_scan.hpp"
#include "autograd/ops/shape_ops.hpp"
#include "autograd/recorder.hpp"
#include "autograd/tape.hpp"
#include "core/error.hpp"
#include "core/random.hpp"

namespace recur::nn {
namespace {

constexpr const char* kName = "LRU";

// cos(x) and sin(x), elementwise, for the rotation's entries: d cos = -sin dx, d sin = cos dx.
Var cosine(const Var& x) {
  NodeRecorder rec("cos", {x});
  Tensor& y = rec.output(x.shape());
  xt::noalias(y) = xt::cos(x.value());
  return rec.finish([](BackwardContext& ctx) {
    if (ctx.needs_grad(0))
      xt::noalias(ctx.grad_input(0)) -= xt::sin(ctx.input(0)) * ctx.grad_output();
  });
}
Var sine(const Var& x) {
  NodeRecorder rec("sin", {x});
  Tensor& y = rec.output(x.shape());
  xt::noalias(y) = xt::sin(x.value());
  return rec.finish([](BackwardContext& ctx) {
    if (ctx.needs_grad(0))
      xt::noalias(ctx.grad_input(0)) += xt::cos(ctx.input(0)) * ctx.grad_output();
  });
}

}  // namespace

LRU::LRU(const LRUOptions& options) : options_(options) {
  detail::require_positive(kName, "input_size", options.input_size);
  detail::require_positive(kName, "state_size", options.state_size);
  if (!(0.0f <= options.r_min && options.r_min < options.r_max && options.r_max <= 1.0f) ||
      !(options.max_phase > 0.0f))
    throw ValueError(std::string(kName) + ": needs 0 <= r_min < r_max <= 1 and max_phase > 0, "
                     "got r_min " + std::to_string(options.r_min) + ", r_max " +
                     std::to_string(options.r_max) + ", max_phase " +
                     std::to_string(options.max_phase));
  const std::size_t H = options.input_size, N = options.state_size;
  Generator& gen = default_generator();
  // The ring initialisation: |lambda|^2 uniform in [r_min^2, r_max^2] (uniform by area).
  Tensor nu_log = zeros({N}), theta_log = zeros({N}), gamma_log = zeros({N});
  const float r2_min = options.r_min * options.r_min, r2_max = options.r_max * options.r_max;
  for (std::size_t j = 0; j < N; ++j) {
    const float u1 = gen.next_float(), u2 = gen.next_float();
    const double r2 = std::max(u1 * (r2_max - r2_min) + r2_min, 1e-12f);
    const double nu = -0.5 * std::log(r2);  // |lambda| = exp(-nu)
    nu_log(j) = static_cast<float>(std::log(nu));
    theta_log(j) = std::log(options.max_phase * std::max(u2, 1e-7f));
    gamma_log(j) = static_cast<float>(0.5 * std::log(1.0 - std::exp(-2.0 * nu)));  // normaliser
  }
  nu_log_ = &register_parameter("nu_log", nu_log);
  theta_log_ = &register_parameter("theta_log", theta_log);
  gamma_log_ = &register_parameter("gamma_log", gamma_log);
  const float b_scale = 1.0f / std::sqrt(2.0f * static_cast<float>(H));
  b_re_ = &register_parameter("B_re", gen.normal({N, H}, 0.0f, b_scale));
  b_im_ = &register_parameter("B_im", gen.normal({N, H}, 0.0f, b_scale));
  const float c_scale = 1.0f / std::sqrt(static_cast<float>(N));
  c_re_ = &register_parameter("C_re", gen.normal({H, N}, 0.0f, c_scale));
  c_im_ = &register_parameter("C_im", gen.normal({H, N}, 0.0f, c_scale));
  d_ = &register_parameter("D", gen.normal({H}, 0.0f, 1.0f));
}

RecurrentResult LRU::forward(const Var& input, const std::array<Var, cell::kMaxStates>& initial) {
  const LRUOptions& o = options_;
  const std::string name = kName;
  const ModuleScope scope(this->name());
  detail::require_sequence_input(kName, input, o.input_size, o.batch_first);
  const std::size_t batch = input.dim(o.batch_first ? 0 : 1), N = o.state_size;
  for (std::size_t k = 0; k < cell::kMaxStates; ++k)
    if (initial[k].defined() &&
        (k >= 2 || initial[k].rank() != 3 || initial[k].dim(0) != 1 ||
         initial[k].dim(1) != batch || initial[k].dim(2) != N))
      throw ShapeError(name + ": expected the initial state's " + (k == 0 ? "real" : "imaginary") +
                       " part " + shape_str(Shape{1, batch, N}) + " for input " +
                       shape_str(input.shape()) + " but got " + shape_str(initial[k].shape()));
  Tape& tape = input.tape();
  const Var u = o.batch_first ? transpose(input, 0, 1) : input;  // [T, B, H]
  const std::size_t T = u.dim(0);
  // lambda = |lambda| (cos theta + i sin theta), |lambda| = exp(-exp(nu_log))
  const Var modulus = exp(-exp(tape.parameter(*nu_log_)));
  const Var theta = exp(tape.parameter(*theta_log_));
  const Var a = modulus * cosine(theta), b = modulus * sine(theta);  // lambda = a + ib, [N]
  const Var gamma = exp(tape.parameter(*gamma_log_));
  // Rows of real parts, then imaginary parts: gamma (B u) as [T, B, 2N], one product.
  const Var drive = linear(u, concat({tape.parameter(*b_re_), tape.parameter(*b_im_)}, 0)) *
                    concat({gamma, gamma}, 0);
  // x_{-1}: the given parts (each [1, B, N]) side by side, zeros for a part not given.
  const auto part = [&](const Var& state) {
    return state.defined() ? select(state, 0, 0) : tape.zeros({batch, N});
  };
  const Var start = initial[0].defined() || initial[1].defined()
                        ? concat({part(initial[0]), part(initial[1])}, 1)
                        : Var();
  const Var states = rotation_scan(a, b, drive, start);  // [T, B, 2N]
  // y = Re(C x) + D u = C_re Re x - C_im Im x + D u, one product.
  const Var y = linear(states, concat({tape.parameter(*c_re_), -tape.parameter(*c_im_)}, 1)) +
                u * tape.parameter(*d_);
  const Var last = select(states, 0, T - 1);
  RecurrentResult result;
  result.output = o.batch_first ? transpose(y, 0, 1) : y;
  result.states[0] = reshape(slice(last, 1, 0, N), {1, batch, N});
  result.states[1] = reshape(slice(last, 1, N, 2 * N), {1, batch, N});
  return result;
}

}  // namespace recur::nn
