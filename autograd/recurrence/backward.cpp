// recurrence()'s backward: backpropagation through time, with no derivative of any cell written
// here. Per processed step, newest first, over the rows that ran at that step:
//   dh += dL/d(output_t)                      [projection: dh_raw = dh W_hr, dW_hr += dh^T h_raw]
//   dG_t, d(states before) = cell.backward(pre_t, states before; dh, d(states after))
//                                             (the step recomputed on dual numbers)
//   dh += dG_t W_hh (times the recurrent mask)  the gradient through the recurrent product
// The weight gradients dW_hh = sum_t dG_t^T h_{t-1}, dW_ih = dG^T X, dX = dG W_ih and the bias
// sums are added up step by step while dG_t is in cache when the weights are small
// (Dims::stepwise), else after the loop as one GEMM each over all T*B rows (the outputs and state
// slots are contiguous, so every step's h_{t-1} is a row block of one matrix).
#include <algorithm>
#include <array>
#include <vector>

#include "autograd/recorder.hpp"
#include "autograd/recurrence/steps.hpp"
#include "core/gemm.hpp"
#include "core/kernels/transposed_product.hpp"

namespace recur::detail::recurrence {
namespace {

// The gradient buffers the rule adds into (null: not wanted).
struct Grads {
  float* x = nullptr;         // [T, B, I], in sorted order when ragged (then scattered after)
  float* weight_ih = nullptr;
  float* weight_hh = nullptr;
  float* bias_ih = nullptr;
  float* bias_hh = nullptr;
  float* weight_hr = nullptr;
};

float* wanted(BackwardContext& ctx, std::uint8_t index) {
  if (index == kAbsent || !ctx.needs_grad(index)) return nullptr;
  return ctx.grad_input(index).data();
}

// dW_hh += sum over steps of dG_t^T (fed-back state r before t), for fed-back state r, after the
// loop: one GEMM when those states form one matrix, else one per step.
void add_recurrent_weight_gradient(const Buffers& buf, std::size_t r, const float* d_hidden,
                                   float* grad) {
  const Dims& d = buf.d;
  const std::size_t B = d.B, G = d.G(), P = d.P, T = d.T, R = d.R();
  float* column = grad + r * P;
  const std::size_t first = d.recurrent_initial() ? 0 : 1;  // step 0 without a product adds 0
  if (r == 0 && buf.mask) {
    // h times the mask, every step's rows side by side.
    float* masked = buf.at(buf.layout.masked_all);
    for (std::size_t n = 0; n < T; ++n)
      multiply_into(masked + d.time(n) * B * P, buf.h_before(n), buf.mask, B * P);
    gemm_strided(d_hidden, G, true, masked, P, false, column, R * P, G, P, T * B, 1.0f, 1.0f);
    return;
  }
  if (r == 0 && d.ragged) {
    // The slot before time t is slot t (forward) or t + 1 (reverse): T consecutive slots.
    const float* rows = buf.at(buf.layout.out_slots) + (d.reverse ? B * P : 0);
    gemm_strided(d_hidden, G, true, rows, P, false, column, R * P, G, P, T * B, 1.0f, 1.0f);
    return;
  }
  if (r == 0) {
    // The first processed step reads the initial h; the others read the output rows one step
    // earlier, which line up with dG's rows shifted by one step.
    if (first == 0)
      gemm_strided(d_hidden + d.time(0) * B * G, G, true, buf.h_before(0), P, false, column,
                   R * P, G, P, B, 1.0f, 1.0f);
    if (T > 1) {
      const float* g_rows = d.reverse ? d_hidden : d_hidden + B * G;
      const float* h_rows = d.reverse ? buf.output + B * P : buf.output;
      gemm_strided(g_rows, G, true, h_rows, P, false, column, R * P, G, P, (T - 1) * B, 1.0f,
                   1.0f);
    }
    return;
  }
  for (std::size_t n = first; n < T; ++n) {
    const std::size_t t = d.time(n);
    gemm_strided(d_hidden + t * B * G, G, true, buf.state_in(r, n), P, false, column, R * P, G,
                 P, buf.active(t), 1.0f, 1.0f);
  }
}

}  // namespace

void backward(BackwardContext& ctx, const Dims& d) {
  const Layout layout(d, true);
  const std::size_t T = d.T, B = d.B, I = d.I, H = d.H, P = d.P, G = d.G(), R = d.R();
  const std::size_t S = d.S(), V = d.V();
  // The saved buffer is the node's own; backward writes its scratch parts.
  float* saved = const_cast<float*>(ctx.saved().data());
  Buffers buf{d, layout, saved, const_cast<float*>(ctx.output().data()), {}, true};
  for (std::size_t k = 0, given = 0; k < S; ++k)
    if (d.initial(k)) buf.initial[k] = ctx.input(d.first_initial + given++).data();
  if (d.has(d.mask)) buf.mask = d.ragged ? buf.at(layout.mask_sorted) : ctx.input(d.mask).data();
  const float* x = d.ragged ? buf.at(layout.x_sorted) : ctx.input(0).data();
  const bool stepwise = d.stepwise();

  // The output's gradient in this run's row order.
  const float* d_out = ctx.grad_output().data();
  if (d.ragged) {
    float* sorted = buf.at(layout.d_out_sorted);
    for (std::size_t t = 0; t < T; ++t) {
      const std::size_t rows = buf.active(t);
      for (std::size_t i = 0; i < rows; ++i)
        std::copy_n(d_out + (t * B + buf.order(i)) * P, P, sorted + (t * B + i) * P);
    }
    d_out = sorted;
  }
  // The running gradients of h and the other states start as those of the final states.
  float* dh = buf.at(layout.d_h);
  float* d_states = buf.at(layout.d_states);
  for (std::size_t k = 0; k < S; ++k) {
    const std::size_t width = d.width(k);
    float* target = k == 0 ? dh : d_states + (k - 1) * B * H;
    const Tensor* final_grad = ctx.grad_of_later_node(1 + k);
    if (final_grad == nullptr) std::fill_n(target, B * width, 0.0f);
    else if (d.ragged) gather(buf, final_grad->data(), target, width);
    else std::copy_n(final_grad->data(), B * width, target);
  }
  float* d_vectors = buf.at(layout.d_vectors);
  std::fill_n(d_vectors, V * H, 0.0f);
  static thread_local std::vector<float> vectors;
  vectors.resize(V * H);
  for (std::size_t k = 0; k < V; ++k)
    std::copy_n(ctx.input(d.first_vector + k).data(), H, vectors.data() + k * H);

  Grads grads;
  grads.weight_ih = wanted(ctx, 1);
  grads.weight_hh = wanted(ctx, d.weight_hh);
  grads.bias_ih = wanted(ctx, d.bias_ih);
  grads.bias_hh = wanted(ctx, d.bias_hh);
  grads.weight_hr = wanted(ctx, d.weight_hr);
  if (ctx.needs_grad(0)) {
    grads.x = d.ragged ? buf.at(layout.d_x_sorted) : ctx.grad_input(0).data();
    if (d.ragged) std::fill_n(grads.x, T * B * I, 0.0f);
  }
  PackedWeights& w = packed_weights();
  const float* weight_hh = R ? ctx.input(d.weight_hh).data() : nullptr;
  for (std::size_t r = 0; r < R; ++r) w.back_hidden[r].pack(weight_hh + r * P, false, G, P, R * P);
  if (stepwise && grads.x) w.back_input.pack(ctx.input(1).data(), false, G, I);
  if (d.projection()) w.back_project.pack(ctx.input(d.weight_hr).data(), false, P, H);

  const std::size_t first_with_product = d.recurrent_initial() ? 0 : 1;
  for (std::size_t n = T; n-- > 0;) {
    const std::size_t t = d.time(n), rows = buf.active(t);
    add_to(dh, d_out + t * B * P, rows * P);
    float* d_state0 = dh;
    if (d.projection()) {
      // h = h_raw W_hr^T: dh_raw = dh W_hr, dW_hr += dh^T h_raw.
      d_state0 = buf.at(layout.d_h_raw);
      w.back_project.multiply(dh, rows, d_state0, false);
      if (grads.weight_hr)
        kernels::add_transposed_product(dh, P, buf.h_raw(t), H, rows, P, H, grads.weight_hr, H);
    }
    const std::size_t kept = stepwise ? 0 : t * B * G;
    float* d_gates = buf.at(layout.d_gates) + kept;
    float* d_hidden = d.separate() ? buf.at(layout.d_hidden) + kept : d_gates;
    cell::PointwiseArgs step;
    step.rows = rows;
    step.units = H;
    step.gates = buf.pre(t);
    step.hidden = d.separate() ? buf.pre_hidden(t) : nullptr;
    step.vectors = vectors.data();
    step.grad_gates = d_gates;
    step.grad_hidden = d.separate() ? d_hidden : nullptr;
    step.grad_vectors = d_vectors;
    for (std::size_t k = 0; k < S; ++k) {
      step.state_in[k] = d.cell->step_reads_state[k] ? buf.state_in(k, n) : nullptr;
      float* running = k == 0 ? d_state0 : d_states + (k - 1) * B * H;
      step.grad_out[k] = running;
      step.grad_state_in[k] = running;
    }
    d.cell->backward(step);
    // With a projection the step does not read h, so h before the step gets no direct part.
    if (d.projection()) std::fill_n(dh, rows * P, 0.0f);
    if (!stepwise && rows < B) {  // padded rows take part in the after-loop GEMMs as zeros
      std::fill(d_gates + rows * G, d_gates + B * G, 0.0f);
      if (d.separate()) std::fill(d_hidden + rows * G, d_hidden + B * G, 0.0f);
    }

    // Through the recurrent product to the fed-back states.
    if (R > 0 && n >= first_with_product) {
      for (std::size_t r = 0; r < R; ++r) {
        if (r == 0 && buf.mask) {
          float* through = buf.at(layout.d_masked);
          w.back_hidden[0].multiply(d_hidden, rows, through, false);
          for (std::size_t k = 0; k < rows * P; ++k) dh[k] += through[k] * buf.mask[k];
        } else {
          float* running = r == 0 ? dh : d_states + (r - 1) * B * H;
          w.back_hidden[r].multiply(d_hidden, rows, running, true);
        }
        if (stepwise && grads.weight_hh) {
          const float* state = buf.state_in(r, n);
          if (r == 0 && buf.mask) {
            multiply_into(buf.at(layout.masked), state, buf.mask, rows * P);
            state = buf.at(layout.masked);
          }
          kernels::add_transposed_product(d_hidden, G, state, P, rows, G, P,
                                          grads.weight_hh + r * P, R * P);
        }
      }
    }
    if (!stepwise) continue;
    // The step's input-side and bias gradients while dG_t is in cache.
    if (grads.bias_hh) add_column_sums(d_hidden, rows, G, grads.bias_hh);
    if (grads.weight_ih)
      kernels::add_transposed_product(d_gates, G, x + t * B * I, I, rows, G, I, grads.weight_ih, I);
    if (grads.x) w.back_input.multiply(d_gates, rows, grads.x + t * B * I, true);
    if (grads.bias_ih) add_column_sums(d_gates, rows, G, grads.bias_ih);
  }

  // The initial states' and the vectors' gradients.
  for (std::size_t k = 0, given = 0; k < S; ++k) {
    if (!d.initial(k)) continue;
    const std::size_t index = d.first_initial + given++;
    if (!ctx.needs_grad(index)) continue;
    const float* running = k == 0 ? dh : d_states + (k - 1) * B * H;
    float* target = ctx.grad_input(index).data();
    if (d.ragged) scatter_add(buf, running, target, d.width(k));
    else add_to(target, running, B * d.width(k));
  }
  for (std::size_t k = 0; k < V; ++k)
    if (ctx.needs_grad(d.first_vector + k))
      add_to(ctx.grad_input(d.first_vector + k).data(), d_vectors + k * H, H);

  if (!stepwise) {
    const float* d_gates = buf.at(layout.d_gates);
    const float* d_hidden = d.separate() ? buf.at(layout.d_hidden) : d_gates;
    const std::size_t all = T * B;
    if (grads.weight_hh)
      for (std::size_t r = 0; r < R; ++r)
        add_recurrent_weight_gradient(buf, r, d_hidden, grads.weight_hh);
    if (grads.bias_hh) add_column_sums(d_hidden, all, G, grads.bias_hh);
    // The input projection's gradients, as linear() would give them.
    if (grads.x) gemm_raw(d_gates, false, ctx.input(1).data(), false, grads.x, all, I, G, 1.0f, 1.0f);
    if (grads.weight_ih) gemm_raw(d_gates, true, x, false, grads.weight_ih, G, I, all, 1.0f, 1.0f);
    if (grads.bias_ih) add_column_sums(d_gates, all, G, grads.bias_ih);
  }
  if (grads.x && d.ragged) {
    float* dx = ctx.grad_input(0).data();
    for (std::size_t t = 0; t < T; ++t) {
      const std::size_t rows = buf.active(t);
      for (std::size_t i = 0; i < rows; ++i)
        add_to(dx + (t * B + buf.order(i)) * I, grads.x + (t * B + i) * I, I);
    }
  }
}

}  // namespace recur::detail::recurrence
