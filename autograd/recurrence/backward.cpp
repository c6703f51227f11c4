// recurrence()'s backward: backpropagation through time, with no derivative of any cell written
// here. Per processed step, newest first, over the rows that ran at that step:
//   dh += dL/d(output_t)                      [projection: dh_raw = dh W_hr]
//   dG_t, d(states before) = cell.backward(pre_t, states before; dh, d(states after))
//                                             (the step recomputed on dual numbers)
//   dh += dG_t W_hh (times the recurrent mask)  the gradient through the recurrent product
// The weight gradients dW_hh = sum_t dG_t^T h_{t-1}, dW_ih = dG^T X, dX = dG W_ih, dW_hr and the
// bias sums are added up step by step while dG_t is in cache when the weights are small
// (Dims::stepwise), else after the loop over all T*B rows: dW_ih, dW_hh and the bias sums as one
// GEMM, dG^T [x | h_{t-1} | 1] (two for a cell with separate hidden gates; where dG is too narrow
// to pay for copying h, an RNN's, dW_hh keeps a GEMM of its own), dX and dW_hr as one GEMM each.
// Split by hidden units, stepwise, each member adds its own columns of the bias sums in the loop.
//
// On a team the batch rows are split: each member runs every step for its rows, which never
// interact. The only sums over rows are the weight gradients and the vectors': stepwise from
// batch 32, the rows fall in blocks fixed by B (Dims::weight_blocks), each member owns whole
// blocks and adds each block's part of a step into that block's own sums, and the blocks are added
// in order after the loop; stepwise below it, every member waits at a barrier once per step and
// then adds a share of the weight gradient's rows over all the step's batch rows; the vectors'
// gradients are summed per row and the rows added in order at the end. Each element is thus
// summed in one order for any number of members.
#include <algorithm>
#include <array>
#include <chrono>
#include <vector>

#include "autograd/recurrence/backward.hpp"
#include "core/gemm.hpp"
#include "core/kernels/transposed_product.hpp"

namespace recur::detail::recurrence {
namespace {

// Input `index`'s gradient buffer, or nullptr when it is not wanted. With `may_write`, a buffer
// nothing has added to yet comes undefined, and `fresh` says so.
float* wanted(BackwardContext& ctx, std::uint8_t index, bool may_write, bool& fresh) {
  fresh = false;
  if (index == kAbsent || !ctx.needs_grad(index)) return nullptr;
  if (may_write)
    if (Tensor* unwritten = ctx.grad_input_to_overwrite(index)) {
      fresh = true;
      return unwritten->data();
    }
  return ctx.grad_input(index).data();
}

// dW_hh += sum over steps of dG_t^T (fed-back state r before t), after the loop: one GEMM when
// those states form one matrix, else one per step.
void add_recurrent_weight_gradient(const Buffers& buf, std::size_t r, const float* d_hidden,
                                   const float* masked_all, float* grad) {
  const Dims& d = buf.d;
  const std::size_t B = d.B, G = d.G(), P = d.P, T = d.T, R = d.R();
  float* column = grad + r * P;
  const std::size_t first = d.recurrent_initial() ? 0 : 1;  // step 0 without a product adds 0
  if (r == 0 && buf.mask) {
    // h times the mask, every step's rows side by side (kept by the loop).
    gemm_strided(d_hidden + (d.reverse ? 0 : first * B * G), G, true,
                 masked_all + (d.reverse ? 0 : first * B * P), P, false, column, R * P, G, P,
                 (T - first) * B, 1.0f, 1.0f);
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

// Where one after-loop product's gradients go: the product is dL^T Z over all T*B rows, with
// Z = [x | the fed-back states | 1] (each row's input and the states its step read, the parts
// `input` and `states` say), so that its result is [dW_ih | dW_hh | bias sum] side by side.
struct ProductTargets {
  bool input = false, states = false;
  float* weight_ih = nullptr;
  float* weight_hh = nullptr;
  std::array<float*, 2> biases{};
  // Targets nothing has added to yet (Grads::Fresh): written, not added to.
  bool weight_ih_fresh = false, weight_hh_fresh = false;
  std::array<bool, 2> biases_fresh{};
};

// Adds dL^T Z into the targets. One GEMM over [x | states | 1] packs dL once, where a GEMM per
// weight and a pass for the bias sums read all of it three times: timed alone on one thread
// (OpenBLAS 0.3.21, the AVX-512 Xeon of docs/performance.md, B 32, T 64), the three took 18-19 ms
// for LSTM H 256 and 59-62 ms for H 512, the one 15-16 and 50-52, copying Z included. Each
// element's sum is then OpenBLAS's over the rows, in blocks that gemm_strided() cuts the same way
// on any number of threads.
void add_product_gradients(const Buffers& buf, const float* x, const float* d_left,
                           const ProductTargets& to) {
  const Dims& d = buf.d;
  const std::size_t T = d.T, B = d.B, I = d.I, P = d.P, G = d.G(), R = d.R();
  const std::size_t inputs = to.input ? I : 0, states = to.states ? R * P : 0;
  const std::size_t N = inputs + states + 1;
  if (G < 2 * N && to.states) {
    // dL is not much wider than Z, so copying the states costs what packing dL once more saves
    // (an RNN at H 256: 1.05x the time of its training step): dW_hh by a GEMM per fed-back
    // state, reading it where it lies, and the rest over [x | 1].
    if (to.weight_hh && to.weight_hh_fresh) std::fill_n(to.weight_hh, G * R * P, 0.0f);
    for (std::size_t r = 0; r < R && to.weight_hh; ++r)
      add_recurrent_weight_gradient(buf, r, d_left,
                                    buf.mask ? buf.at(buf.layout.masked_steps) : nullptr,
                                    to.weight_hh);
    ProductTargets rest = to;
    rest.states = false;
    rest.weight_hh = nullptr;
    if (rest.weight_ih || rest.biases[0] || rest.biases[1])
      add_product_gradients(buf, x, d_left, rest);
    return;
  }
  static thread_local std::vector<float> z_storage, c_storage;
  z_storage.resize(T * B * N);
  c_storage.resize(G * N);
  float* z = z_storage.data();
  float* c = c_storage.data();
  // Z's rows, a step at a time (rows past a sequence's end are zeros, as their dL rows are).
  kernels::parallel_for(T, 1, 4, [&](std::size_t n0, std::size_t n1) {
    for (std::size_t n = n0; n < n1; ++n) {
      const std::size_t t = d.time(n), rows = buf.active(t);
      const bool product = n > 0 || d.recurrent_initial();  // else the step read no state
      for (std::size_t i = 0; i < B; ++i) {
        float* row = z + (t * B + i) * N;
        if (i >= rows) {
          std::fill_n(row, N, 0.0f);
          continue;
        }
        if (to.input) std::copy_n(x + (t * B + i) * I, I, row);
        for (std::size_t r = 0; r < R && to.states; ++r) {
          float* part = row + inputs + r * P;
          if (!product) std::fill_n(part, P, 0.0f);
          else if (r == 0 && buf.mask)  // h times the mask, as the product read it
            std::copy_n(buf.at(buf.layout.masked_steps) + (t * B + i) * P, P, part);
          else std::copy_n(buf.state_in(r, n) + i * P, P, part);
        }
        row[N - 1] = 1.0f;
      }
    }
  });
  gemm_strided(d_left, G, true, z, N, false, c, N, G, N, T * B, 1.0f, 0.0f);
  kernels::parallel_for(G, 16, 64, [&](std::size_t g0, std::size_t g1) {
    for (std::size_t g = g0; g < g1; ++g) {
      const float* result = c + g * N;
      if (to.weight_ih && to.weight_ih_fresh) std::copy_n(result, inputs, to.weight_ih + g * I);
      else if (to.weight_ih) add_to(to.weight_ih + g * I, result, inputs);
      if (to.weight_hh && to.weight_hh_fresh)
        std::copy_n(result + inputs, states, to.weight_hh + g * R * P);
      else if (to.weight_hh) add_to(to.weight_hh + g * R * P, result + inputs, states);
      for (std::size_t k = 0; k < 2; ++k)
        if (to.biases[k]) to.biases[k][g] = (to.biases_fresh[k] ? 0.0f : to.biases[k][g]) +
                                             result[N - 1];
    }
  });
}

}  // namespace

void Backward::add_block_sums() const {
  const std::size_t blocks = d.weight_blocks();
  const auto add = [&](float* grad, bool fresh, float* (WeightTargets::*part), std::size_t count) {
    if (grad == nullptr) return;
    std::array<const float*, kMaxWeightBlocks> sums{};
    for (std::size_t b = 0; b < blocks; ++b) sums[b] = block_sums(b).*part;
    kernels::parallel_for(count, 16, 4096, [&](std::size_t e0, std::size_t e1) {
      for (std::size_t e = e0; e < e1; ++e) {
        float total = fresh ? 0.0f : grad[e];
        for (std::size_t b = 0; b < blocks; ++b) total += sums[b][e];
        grad[e] = total;
      }
    });
  };
  const std::size_t G = d.G();
  add(grads.weight_ih, grads.fresh.weight_ih, &WeightTargets::weight_ih, G * d.I);
  add(grads.weight_hh, grads.fresh.weight_hh, &WeightTargets::weight_hh, G * d.R() * d.P);
  add(grads.weight_hr, grads.fresh.weight_hr, &WeightTargets::weight_hr, d.P * d.H);
  add(grads.bias_ih, grads.fresh.bias_ih, &WeightTargets::bias_ih, G);
  add(grads.bias_hh, grads.fresh.bias_hh, &WeightTargets::bias_hh, G);
}

void Backward::after_loop() const {
  const std::size_t T = d.T, B = d.B, I = d.I, H = d.H, P = d.P, G = d.G();
  if (!d.stepwise()) {
    // dW_ih, dW_hh and the bias sums as products over all T*B rows: one for a dense cell
    // (dG is both gates' gradient), two for separate ones (x's and the states' gradients).
    const bool hh = grads.weight_hh != nullptr;
    const Grads::Fresh& fresh = grads.fresh;
    if (d.dense()) {
      if (grads.weight_ih || hh || grads.bias_ih || grads.bias_hh)
        add_product_gradients(buf, x, d_gates(0),
                              {true, hh, grads.weight_ih, grads.weight_hh,
                               {grads.bias_ih, grads.bias_hh}, fresh.weight_ih, fresh.weight_hh,
                               {fresh.bias_ih, fresh.bias_hh}});
    } else {
      const bool hh_bias_here = !d.separate();  // a cell without separate gates
      if (grads.weight_ih || grads.bias_ih || (hh_bias_here && grads.bias_hh))
        add_product_gradients(buf, x, d_gates(0),
                              {true, false, grads.weight_ih, nullptr,
                               {grads.bias_ih, hh_bias_here ? grads.bias_hh : nullptr},
                               fresh.weight_ih, false,
                               {fresh.bias_ih, hh_bias_here && fresh.bias_hh}});
      if (d.separate() && (hh || grads.bias_hh))
        add_product_gradients(buf, x, d_hidden(0),
                              {false, hh, nullptr, grads.weight_hh, {grads.bias_hh, nullptr},
                               false, fresh.weight_hh, {fresh.bias_hh, false}});
    }
    // The input's gradient, as linear() would give it.
    if (grads.x)
      gemm_raw(d_gates(0), false, weight_ih, false, grads.x, T * B, I, G, 1.0f,
               fresh.x ? 0.0f : 1.0f);
    if (grads.weight_hr)
      gemm_raw(d_projected(0), true, buf.h_raw(0), false, grads.weight_hr, P, H, T * B, 1.0f,
               fresh.weight_hr ? 0.0f : 1.0f);
  }
  // The vectors' gradients: each row's sum over the steps, the rows added in order.
  const std::size_t V = d.V();
  const float* per_row = buf.at(layout.d_vectors);
  for (std::size_t k = 0; k < V; ++k) {
    if (!ctx.needs_grad(d.first_vector + k)) continue;
    float* target = ctx.grad_input(d.first_vector + k).data();
    for (std::size_t b = 0; b < B; ++b) add_to(target, per_row + (b * V + k) * H, H);
  }
}

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
  Backward pass{ctx, d, layout, buf, {}, nullptr, nullptr, nullptr, ctx.input(1).data(),
                packed_weights()};
  pass.x = d.ragged ? buf.at(layout.x_sorted) : ctx.input(0).data();

  // The output's gradient in this run's row order.
  pass.d_out = ctx.grad_output().data();
  if (d.ragged) {
    float* sorted = buf.at(layout.d_out_sorted);
    const float* d_out = ctx.grad_output().data();
    for (std::size_t t = 0; t < T; ++t) {
      const std::size_t rows = buf.active(t);
      for (std::size_t i = 0; i < rows; ++i)
        std::copy_n(d_out + (t * B + buf.order(i)) * P, P, sorted + (t * B + i) * P);
    }
    pass.d_out = sorted;
  }
  // The running gradients of h and the other states start as those of the final states.
  for (std::size_t k = 0; k < S; ++k) {
    const std::size_t width = d.width(k);
    float* target = k == 0 ? buf.at(layout.d_h) : pass.d_states(k);
    const Tensor* final_grad = ctx.grad_of_later_node(1 + k);
    if (final_grad == nullptr) std::fill_n(target, B * width, 0.0f);
    else if (d.ragged) gather(buf, final_grad->data(), target, width);
    else std::copy_n(final_grad->data(), B * width, target);
  }
  std::fill_n(buf.at(layout.d_vectors), B * V * H, 0.0f);
  static thread_local std::vector<float> vectors;
  vectors.resize(V * H);
  for (std::size_t k = 0; k < V; ++k)
    std::copy_n(ctx.input(d.first_vector + k).data(), H, vectors.data() + k * H);
  pass.vectors = vectors.data();

  Grads& grads = pass.grads;
  // Not stepwise, the products after the loop are all that writes these gradients; stepwise in
  // blocks, the block sums added after the loop are all that writes the weights'.
  const bool after_loop_only = !d.stepwise();
  const bool weights_after_loop = after_loop_only || d.weight_blocks() > 1;
  Grads::Fresh& fresh = grads.fresh;
  grads.weight_ih = wanted(ctx, 1, weights_after_loop, fresh.weight_ih);
  grads.weight_hh = wanted(ctx, d.weight_hh, weights_after_loop, fresh.weight_hh);
  grads.bias_ih = wanted(ctx, d.bias_ih, weights_after_loop, fresh.bias_ih);
  grads.bias_hh = wanted(ctx, d.bias_hh, weights_after_loop, fresh.bias_hh);
  grads.weight_hr = wanted(ctx, d.weight_hr, weights_after_loop, fresh.weight_hr);
  if (d.ragged && ctx.needs_grad(0)) {
    grads.x = buf.at(layout.d_x_sorted);
    std::fill_n(grads.x, T * B * I, 0.0f);
  } else {
    grads.x = wanted(ctx, 0, after_loop_only, fresh.x);
  }
  PackedWeights& w = pass.w;
  const float* weight_hh = R ? ctx.input(d.weight_hh).data() : nullptr;
  for (std::size_t r = 0; r < R; ++r) w.back_hidden[r].pack(weight_hh + r * P, false, G, P, R * P);
  if (d.stepwise() && grads.x) w.back_input.pack(pass.weight_ih, false, G, I);
  if (d.projection()) w.back_project.pack(ctx.input(d.weight_hr).data(), false, P, H);

  // The initial states' gradient buffers, taken here: a first grad_input() zero-fills, which
  // must not race with another member's additions.
  std::array<float*, cell::kMaxStates> initial_grads{};
  for (std::size_t k = 0, given = 0; k < S; ++k) {
    if (!d.initial(k)) continue;
    const std::size_t index = d.first_initial + given++;
    if (ctx.needs_grad(index)) initial_grads[k] = ctx.grad_input(index).data();
  }

  // Stepwise with blocks (Dims::weight_blocks), the members split the batch in whole blocks.
  const std::size_t blocks = d.weight_blocks(), block_rows = d.weight_block_rows();
  const std::size_t by_units = unit_members(d);
  const std::size_t by_rows =
      by_units > 1 ? 1 : blocks > 1 ? std::min(blocks, row_members(d)) : row_members(d);
  const kernels::MemberWeights weights = kernels::member_weights();
  RowTimes times;
  kernels::run_team(std::max(by_rows, by_units), [&](const kernels::TeamMember& member) {
    if (by_units > 1) {
      const kernels::Range units = unit_share(d, member);
      for (std::size_t n = T; n-- > 0;) pass.units_of_step(n, member, units);
      return;
    }
    const kernels::Range mine = row_share(buf, member, weights, blocks > 1 ? block_rows : 1);
    if (blocks > 1 && mine.end > mine.begin) {
      // This member's blocks' sums start at zero (written here, where they are added to).
      const std::size_t floats = d.weight_block_floats();
      std::fill(buf.at(layout.weight_blocks) + mine.begin / block_rows * floats,
                buf.at(layout.weight_blocks) + (mine.end + block_rows - 1) / block_rows * floats,
                0.0f);
    }
    // Busy time: the rows' own work, not the barriers' waits.
    std::chrono::duration<double> busy{0};
    for (std::size_t n = T; n-- > 0;) {
      const std::size_t t = d.time(n), active = buf.active(t);
      const std::size_t r1 = std::min(mine.end, active);
      const auto start = std::chrono::steady_clock::now();
      if (r1 > mine.begin) pass.rows_of_step(n, mine.begin, r1);
      if (blocks > 1) pass.weights_of_blocks(n, mine);  // no other member's rows needed
      busy += std::chrono::steady_clock::now() - start;
      if (!d.stepwise()) {
        // Rows past a sequence's end take part in the after-loop GEMMs as zeros.
        const std::size_t padded = std::max(mine.begin, active);
        if (padded < mine.end) {
          std::fill(pass.d_gates(t) + padded * G, pass.d_gates(t) + mine.end * G, 0.0f);
          if (d.separate())
            std::fill(pass.d_hidden(t) + padded * G, pass.d_hidden(t) + mine.end * G, 0.0f);
          if (d.projection())
            std::fill(pass.d_projected(t) + padded * P, pass.d_projected(t) + mine.end * P, 0.0f);
          if (buf.mask)
            std::fill(pass.masked(t) + padded * P, pass.masked(t) + mine.end * P, 0.0f);
        }
        if (buf.mask && n == 0 && !d.recurrent_initial()) {
          // The first processed step's h is the zero start: masked, it is zeros too.
          std::fill(pass.masked(t) + mine.begin * P, pass.masked(t) + mine.end * P, 0.0f);
        }
        continue;
      }
      if (blocks > 1) continue;
      member.barrier();  // every row's dG of this step is in
      pass.weights_of_step(n, member);
    }
    times.record(member, busy.count(), row_work(buf, mine));
  });
  if (by_rows > 1) times.report();
  if (blocks > 1) pass.add_block_sums();
  // The initial states' gradients.
  for (std::size_t k = 0; k < S; ++k) {
    if (initial_grads[k] == nullptr) continue;
    const std::size_t width = d.width(k);
    const float* running = k == 0 ? buf.at(layout.d_h) : pass.d_states(k);
    for (std::size_t i = 0; i < B; ++i)
      add_to(initial_grads[k] + (d.ragged ? buf.order(i) : i) * width, running + i * width, width);
  }
  pass.after_loop();
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
