// recurrence()'s backward, one processed step at a time: a member's rows of the step (the
// pointwise part and the products that stay within a row), the step's weight gradients after
// the barrier, and the same for a small batch split by hidden units.
#include <algorithm>

#include "autograd/recurrence/backward.hpp"
#include "core/kernels/transposed_product.hpp"

namespace recur::detail::recurrence {

void Backward::rows_of_step(std::size_t n, std::size_t r0, std::size_t r1) const {
  const std::size_t B = d.B, I = d.I, H = d.H, P = d.P, G = d.G(), R = d.R();
  const std::size_t t = d.time(n), rows = r1 - r0, slot = kept_step(n, t);
  float* dh = buf.at(layout.d_h) + r0 * P;
  add_to(dh, d_out + (t * B + r0) * P, rows * P);
  float* d_state0 = dh;
  if (d.projection()) {
    // h = h_raw W_hr^T: dh_raw = dh W_hr; dh is kept for dW_hr += dh^T h_raw.
    std::copy_n(dh, rows * P, d_projected(slot) + r0 * P);
    d_state0 = buf.at(layout.d_h_raw) + r0 * H;
    w.back_project.multiply(dh, rows, d_state0, false);
  }
  float* d_gates_t = d_gates(slot) + r0 * G;
  float* d_hidden_t = d_hidden(slot) + r0 * G;
  cell::PointwiseArgs step;
  step.rows = rows;
  step.units = H;
  step.gates = buf.pre(t) + r0 * G;
  step.hidden = d.separate() ? buf.pre_hidden(t) + r0 * G : nullptr;
  step.vectors = vectors;
  step.grad_gates = d_gates_t;
  step.grad_hidden = d.separate() ? d_hidden_t : nullptr;
  step.grad_vectors = buf.at(layout.d_vectors) + r0 * d.V() * H;
  step.grad_vectors_stride = d.V() * H;
  for (std::size_t k = 0; k < d.S(); ++k) {
    step.state_in[k] = d.cell->step_reads_state[k] ? buf.state_in(k, n) + r0 * d.width(k) : nullptr;
    float* running = k == 0 ? d_state0 : d_states(k) + r0 * H;
    step.grad_out[k] = running;
    step.grad_state_in[k] = running;
  }
  d.cell->backward(step);
  // With a projection the step does not read h, so h before the step gets no direct part.
  if (d.projection()) std::fill_n(dh, rows * P, 0.0f);

  // Through the recurrent product to the fed-back states.
  const bool product = R > 0 && (n > 0 || d.recurrent_initial());
  for (std::size_t r = 0; product && r < R; ++r) {
    if (r == 0 && buf.mask) {
      float* through = buf.at(layout.d_masked) + r0 * P;
      w.back_hidden[0].multiply(d_hidden_t, rows, through, false);
      const float* mask = buf.mask + r0 * P;
      for (std::size_t k = 0; k < rows * P; ++k) dh[k] += through[k] * mask[k];
      // h times the mask, for dW_hh.
      multiply_into(masked(slot) + r0 * P, buf.state_in(0, n) + r0 * P, mask, rows * P);
    } else {
      float* running = r == 0 ? dh : d_states(r) + r0 * H;
      w.back_hidden[r].multiply(d_hidden_t, rows, running, true);
    }
  }
  // The input's gradient, row by row.
  if (d.stepwise() && grads.x)
    w.back_input.multiply(d_gates_t, rows, grads.x + (t * B + r0) * I, true);
}

void Backward::add_step_weights(std::size_t n, std::size_t r0, std::size_t r1,
                                kernels::Range gates, kernels::Range outputs,
                                const WeightTargets& to) const {
  const std::size_t B = d.B, I = d.I, H = d.H, P = d.P, G = d.G(), R = d.R();
  const std::size_t t = d.time(n), slot = kept_step(n, t), rows = r1 - r0;
  if (r1 <= r0) return;
  const float* d_gates_t = d_gates(slot) + r0 * G;
  const float* d_hidden_t = d_hidden(slot) + r0 * G;
  const std::size_t g0 = gates.begin, g1 = gates.end;
  if (g1 > g0) {
    if (to.bias_hh) add_column_sums(d_hidden_t, rows, G, g0, g1, to.bias_hh);
    if (to.bias_ih) add_column_sums(d_gates_t, rows, G, g0, g1, to.bias_ih);
    if (to.weight_ih)
      kernels::add_transposed_product(d_gates_t + g0, G, x + (t * B + r0) * I, I, rows, g1 - g0,
                                      I, to.weight_ih + g0 * I, I);
    const bool product = R > 0 && (n > 0 || d.recurrent_initial());
    for (std::size_t r = 0; product && to.weight_hh && r < R; ++r) {
      const float* state = r == 0 && buf.mask ? masked(slot) : buf.state_in(r, n);
      kernels::add_transposed_product(d_hidden_t + g0, G, state + r0 * P, P, rows, g1 - g0, P,
                                      to.weight_hh + g0 * R * P + r * P, R * P);
    }
  }
  if (d.projection() && to.weight_hr && outputs.end > outputs.begin)
    kernels::add_transposed_product(d_projected(slot) + r0 * P + outputs.begin, P,
                                    buf.h_raw(t) + r0 * H, H, rows, outputs.end - outputs.begin,
                                    H, to.weight_hr + outputs.begin * H, H);
}

void Backward::weights_of_step(std::size_t n, const kernels::TeamMember& member) const {
  // This member's columns of dW_ih, dW_hh and the biases (gates, in whole 16-column tiles) and
  // rows of dW_hr, over every row that ran at the step.
  add_step_weights(n, 0, buf.active(d.time(n)),
                   kernels::share(d.G(), member.thread, member.threads, 16),
                   kernels::share(d.P, member.thread, member.threads, 16),
                   {grads.weight_ih, grads.weight_hh, grads.weight_hr, grads.bias_ih,
                    grads.bias_hh});
}

WeightTargets Backward::block_sums(std::size_t b) const {
  const std::size_t I = d.I, H = d.H, P = d.P, G = d.G(), R = d.R();
  float* at = buf.at(layout.weight_blocks) + b * d.weight_block_floats();
  WeightTargets sums;
  sums.weight_ih = grads.weight_ih ? at : nullptr;
  sums.weight_hh = grads.weight_hh ? at + G * I : nullptr;
  sums.weight_hr = grads.weight_hr ? at + G * (I + R * P) : nullptr;
  at += G * (I + R * P) + (d.projection() ? P * H : 0);
  sums.bias_ih = grads.bias_ih ? at : nullptr;
  sums.bias_hh = grads.bias_hh ? at + G : nullptr;
  return sums;
}

void Backward::weights_of_blocks(std::size_t n, kernels::Range rows) const {
  const std::size_t per_block = d.weight_block_rows(), active = buf.active(d.time(n));
  for (std::size_t b0 = rows.begin; b0 < rows.end && b0 < active; b0 += per_block)
    add_step_weights(n, b0, std::min({b0 + per_block, rows.end, active}), {0, d.G()}, {0, d.P},
                     block_sums(b0 / per_block));
}

void Backward::units_of_step(std::size_t n, const kernels::TeamMember& member,
                             kernels::Range units) const {
  const std::size_t B = d.B, I = d.I, H = d.H, G = d.G();
  const std::size_t t = d.time(n), rows = buf.active(t), slot = kept_step(n, t);
  const std::size_t u0 = units.begin, u1 = units.end, width = u1 - u0;
  float* dh = buf.at(layout.d_h);  // P = H here
  const float* d_out_t = d_out + t * B * H;
  for (std::size_t row = 0; row < rows && width; ++row)
    add_to(dh + row * H + u0, d_out_t + row * H + u0, width);
  float* d_gates_t = d_gates(slot);
  float* d_hidden_t = d_hidden(slot);
  cell::PointwiseArgs step;
  step.rows = rows;
  step.units = H;
  step.unit_begin = u0;
  step.unit_end = u1;
  step.gates = buf.pre(t);
  step.hidden = d.separate() ? buf.pre_hidden(t) : nullptr;
  step.vectors = vectors;
  step.grad_gates = d_gates_t;
  step.grad_hidden = d.separate() ? d_hidden_t : nullptr;
  step.grad_vectors = buf.at(layout.d_vectors);
  step.grad_vectors_stride = d.V() * H;
  for (std::size_t k = 0; k < d.S(); ++k) {
    step.state_in[k] = d.cell->step_reads_state[k] ? buf.state_in(k, n) : nullptr;
    float* running = k == 0 ? dh : d_states(k);
    step.grad_out[k] = running;
    step.grad_state_in[k] = running;
  }
  if (width) d.cell->backward(step);
  // This member's columns of the bias gradients, while its dG is in cache (stepwise; else the
  // after-loop product adds them): each column summed over the steps newest first and the rows
  // in order, as weights_of_step() sums it when split by rows.
  for (std::size_t g = 0; g < d.cell->gates && width && d.stepwise(); ++g) {
    const std::size_t first = g * H + u0;
    if (grads.bias_hh) add_column_sums(d_hidden_t, rows, G, first, first + width, grads.bias_hh);
    if (grads.bias_ih) add_column_sums(d_gates_t, rows, G, first, first + width, grads.bias_ih);
  }
  if (!d.stepwise() && rows < B && width)  // padded rows take part in the after-loop GEMMs
    for (std::size_t row = rows; row < B; ++row)
      for (std::size_t g = 0; g < d.cell->gates; ++g) {
        std::fill_n(d_gates_t + row * G + g * H + u0, width, 0.0f);
        if (d.separate()) std::fill_n(d_hidden_t + row * G + g * H + u0, width, 0.0f);
      }
  member.barrier();  // every unit's dG of this step is in
  const bool product = n > 0 || d.recurrent_initial();
  if (product && width) w.back_hidden[0].multiply(d_hidden_t, rows, dh, true, {u0, u1});
  if (!d.stepwise()) return;
  for (std::size_t g = 0; g < d.cell->gates && width; ++g) {
    const std::size_t first = g * H + u0;
    if (grads.weight_ih)
      kernels::add_transposed_product(d_gates_t + first, G, x + t * B * I, I, rows, width, I,
                                      grads.weight_ih + first * I, I);
    if (product && grads.weight_hh)
      kernels::add_transposed_product(d_hidden_t + first, G, buf.state_in(0, n), H, rows, width,
                                      H, grads.weight_hh + first * H, H);
  }
  if (grads.x) {
    const kernels::Range inputs = kernels::share(I, member.thread, member.threads, 16);
    if (inputs.end > inputs.begin)
      w.back_input.multiply(d_gates_t, rows, grads.x + t * B * I, true,
                            {inputs.begin, inputs.end});
  }
}

}  // namespace recur::detail::recurrence
