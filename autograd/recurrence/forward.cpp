// recurrence(): checks, the node, and the forward pass. Per processed step n (time t), over the
// rows still running:
//   pre_t  = bias + x_t W_ih^T + h W_hh^T     one packed product over the stacked weights
//            (separate: x_t W_ih^T + b_ih and h W_hh^T + b_hh apart; none: the input part only,
//            made for every step before the loop, as it is for batches of 1-3 rows)
//   states = cell.forward(pre_t, states before)   the cell's step, eight units at a time
//   [h = h_raw W_hr^T with a projection]
// with h times the recurrent mask where it enters the product. The backward is in backward.cpp.
#include <algorithm>
#include <array>
#include <chrono>
#include <span>
#include <string>
#include <vector>

#include "autograd/ops/recurrence.hpp"
#include "autograd/recorder.hpp"
#include "autograd/recurrence/steps.hpp"
#include "core/error.hpp"

namespace recur {
namespace detail::recurrence {

void backward(BackwardContext& ctx, const Dims& d);

PackedWeights& packed_weights() {
  static thread_local PackedWeights weights;
  return weights;
}

namespace {

// The node's inputs, with each one's position recorded in `d`.
std::size_t gather_inputs(const RecurrenceInputs& in, Dims& d, std::array<Var, 32>& inputs) {
  std::size_t count = 0;
  const auto add = [&](const Var& v) -> std::uint8_t {
    if (!v.defined()) return kAbsent;
    inputs[count] = v;
    return static_cast<std::uint8_t>(count++);
  };
  add(in.input);
  add(in.weight_ih);
  d.weight_hh = add(in.weight_hh);
  d.bias_ih = add(in.bias_ih);
  d.bias_hh = add(in.bias_hh);
  d.weight_hr = add(in.weight_hr);
  d.mask = add(in.recurrent_mask);
  d.first_initial = static_cast<std::uint8_t>(count);
  d.initial_present = 0;
  for (std::size_t k = 0; k < d.S(); ++k)
    if (in.initial[k].defined()) {
      add(in.initial[k]);
      d.initial_present = static_cast<std::uint8_t>(d.initial_present | (1u << k));
    }
  d.first_vector = static_cast<std::uint8_t>(count);
  for (std::size_t k = 0; k < d.V(); ++k) add(in.vectors[k]);
  return count;
}

// Sorted order of a padded batch (longest first, ties in batch order) and rows per time: a
// counting sort over the lengths (std::stable_sort would allocate its merge buffer each call).
void sort_by_length(const Dims& d, const IndexTensor& lengths, float* order, float* active) {
  static thread_local std::vector<std::size_t> first;  // first sorted row of each length
  first.assign(d.T + 2, 0);
  for (std::size_t b = 0; b < d.B; ++b) ++first[d.T - static_cast<std::size_t>(lengths(b)) + 1];
  for (std::size_t k = 1; k < first.size(); ++k) first[k] += first[k - 1];
  // first[T - L] is now where the sequences of length L start (longest first).
  for (std::size_t b = 0; b < d.B; ++b)
    order[first[d.T - static_cast<std::size_t>(lengths(b))]++] = static_cast<float>(b);
  std::size_t running = d.B;
  for (std::size_t t = 0; t < d.T; ++t) {
    while (running > 0 && lengths(static_cast<std::size_t>(order[running - 1])) <=
                              static_cast<std::int64_t>(t))
      --running;
    active[t] = static_cast<float>(running);
  }
}

// The first-step states: in their slot, or for a reverse padded batch also in the padding slot
// each shorter sequence starts from; zeros where none was given.
void place_initial_states(const Buffers& buf) {
  const Dims& d = buf.d;
  const std::size_t B = d.B;
  std::fill_n(buf.at(buf.layout.zeros), B * std::max(d.P, d.H), 0.0f);
  for (std::size_t k = 0; k < d.S(); ++k) {
    if (k == 0 && !d.ragged) continue;  // read in place (Buffers::h_before)
    const std::size_t width = d.width(k);
    float* first = k == 0 ? buf.at(buf.layout.out_slots) + d.initial_slot() * B * width
                          : (buf.keep_all ? buf.at(buf.layout.states) +
                                                (d.initial_slot() * (d.S() - 1) + (k - 1)) * B * d.H
                                          : buf.state_before(k, d.time(0)));
    if (buf.initial[k] == nullptr) std::fill_n(first, B * width, 0.0f);
    else if (d.ragged) gather(buf, buf.initial[k], first, width);
    else std::copy_n(buf.initial[k], B * width, first);
    if (!(d.ragged && d.reverse)) continue;
    // A reverse sequence of length L < T starts at time L - 1 and reads slot L, which is
    // padding for it (it is not running at time L).
    for (std::size_t i = 0; i < B; ++i) {
      std::size_t length = d.T;
      while (length > 0 && buf.active(length - 1) <= i) --length;
      if (length == d.T) continue;
      float* slot = k == 0 ? buf.h_after(length)
                           : (buf.keep_all ? buf.state_after(k, length) : nullptr);
      if (slot) std::copy_n(first + i * width, width, slot + i * width);
    }
  }
}

// The forward pass over all steps: the weights packed once, then the time loop, on the team
// with the batch rows split (each member runs every step for its rows; rows never interact, so
// no member waits for another within the loop).
void run_forward(const Buffers& buf, const float* x, const RecurrenceInputs& in) {
  const Dims& d = buf.d;
  const Layout& layout = buf.layout;
  const std::size_t B = d.B, I = d.I, H = d.H, P = d.P, G = d.G(), R = d.R();
  PackedWeights& w = packed_weights();
  const float* bias_ih = in.bias_ih.defined() ? in.bias_ih.value().data() : nullptr;
  const float* bias_hh = in.bias_hh.defined() ? in.bias_hh.value().data() : nullptr;
  const float* weight_ih = in.weight_ih.value().data();
  const float* weight_hh = R ? in.weight_hh.value().data() : nullptr;
  std::array<kernels::PackedRight::Part, kernels::PackedRight::kMaxParts> parts{};
  parts[0] = {weight_ih, I};
  for (std::size_t r = 0; r < R; ++r) parts[1 + r] = {weight_hh + r * P, P, R * P};
  if (d.dense()) {
    // RNN and LSTM only ever add the two biases: fold them into one.
    float* bias = buf.at(layout.bias);
    for (std::size_t k = 0; k < G; ++k)
      bias[k] = (bias_ih ? bias_ih[k] : 0.0f) + (bias_hh ? bias_hh[k] : 0.0f);
    w.input.pack_stacked(std::span(parts.data(), 1 + R), true, G, bias);
  } else {
    w.input.pack_stacked(std::span(parts.data(), 1), true, G, bias_ih);
    if (d.separate()) w.hidden.pack_stacked(std::span(parts.data() + 1, R), true, G, bias_hh);
  }
  if (d.projection()) w.project.pack(in.weight_hr.value().data(), true, H, P);
  const float* mask = buf.mask;
  const float* vectors_base = nullptr;  // the vectors side by side, [V, H]
  static thread_local std::vector<float> vectors;
  if (d.V() > 0) {
    vectors.resize(d.V() * H);
    for (std::size_t k = 0; k < d.V(); ++k)
      std::copy_n(in.vectors[k].value().data(), H, vectors.data() + k * H);
    vectors_base = vectors.data();
  }
  float* projected = d.project_all() ? buf.at(layout.projected) : nullptr;
  const std::size_t first_with_product = d.recurrent_initial() ? 0 : 1;

  const std::size_t by_units = unit_members(d);
  const std::size_t by_rows = by_units > 1 ? 1 : row_members(d);
  const kernels::MemberWeights weights = kernels::member_weights();
  RowTimes times;
  kernels::run_team(std::max(by_rows, by_units), [&](const kernels::TeamMember& member) {
    // The input part for every step at once (small batches, or no recurrent product at all),
    // split by rows of all steps; every member then waits for the whole of it.
    if (projected) {
      const kernels::Range all = kernels::share(d.T * B, member.thread, member.threads);
      const float* a[1] = {x + all.begin * I};
      w.input.multiply_stacked(a, all.end - all.begin, projected + all.begin * G, nullptr,
                               !d.dense());
      member.barrier();
    }
    if (by_units > 1) {
      // This member's units of every gate, all rows; then everyone waits for the whole of h.
      const kernels::Range mine = unit_share(d, member);
      for (std::size_t n = 0; n < d.T; ++n) {
        const std::size_t t = d.time(n), rows = buf.active(t);
        std::array<const float*, 2> operands{projected ? nullptr : x + t * B * I,
                                             n >= first_with_product ? buf.h_before(n) : nullptr};
        float* pre = buf.pre(t);
        const float* projected_t = projected ? projected + t * B * G : nullptr;
        for (std::size_t g = 0; g < d.cell->gates && mine.end > mine.begin; ++g) {
          const kernels::PackedRight::Columns columns{g * H + mine.begin, g * H + mine.end};
          if (d.dense()) {
            w.input.multiply_stacked(operands, rows, pre, projected_t, true, columns);
          } else {  // separate
            if (!projected) w.input.multiply_stacked(std::span(operands.data(), 1), rows, pre,
                                                     nullptr, true, columns);
            else
              for (std::size_t row = 0; row < rows; ++row)
                std::copy(projected_t + row * G + columns.first,
                          projected_t + row * G + columns.last, pre + row * G + columns.first);
            w.hidden.multiply_stacked(std::span(operands.data() + 1, 1), rows, buf.pre_hidden(t),
                                      nullptr, true, columns);
          }
        }
        cell::PointwiseArgs step;
        step.rows = rows;
        step.units = H;
        step.unit_begin = mine.begin;
        step.unit_end = mine.end;
        step.gates = pre;
        step.hidden = d.separate() ? buf.pre_hidden(t) : nullptr;
        for (std::size_t k = 0; k < d.S(); ++k) {
          step.state_in[k] = d.cell->step_reads_state[k] ? buf.state_in(k, n) : nullptr;
          step.state_out[k] = k == 0 ? buf.h_after(t) : buf.state_after(k, t);
        }
        step.vectors = vectors_base;
        if (mine.end > mine.begin) d.cell->forward(step);
        member.barrier();  // the whole of h, for the next step's product
      }
      return;
    }
    const kernels::Range mine = row_share(buf, member, weights);
    const auto start = std::chrono::steady_clock::now();
    for (std::size_t n = 0; n < d.T; ++n) {
      const std::size_t t = d.time(n);
      const std::size_t r0 = mine.begin, r1 = std::min(mine.end, buf.active(t));
      if (r1 <= r0) continue;
      const std::size_t rows = r1 - r0;
      // The fed-back states, h times the mask where it enters the product.
      std::array<const float*, 1 + cell::kMaxRecurrentStates> operands{};
      operands[0] = projected ? nullptr : x + (t * B + r0) * I;
      if (n >= first_with_product)
        for (std::size_t r = 0; r < R; ++r) operands[1 + r] = buf.state_in(r, n) + r0 * d.width(r);
      if (mask && operands[1]) {
        float* masked = buf.at(layout.masked) + r0 * P;
        multiply_into(masked, operands[1], mask + r0 * P, rows * P);
        operands[1] = masked;
      }
      float* pre = buf.pre(t) + r0 * G;
      const float* projected_t = projected ? projected + (t * B + r0) * G : nullptr;
      if (d.dense()) {
        w.input.multiply_stacked(std::span(operands.data(), 1 + R), rows, pre, projected_t);
      } else if (d.separate()) {
        if (!projected) w.input.multiply_stacked(std::span(operands.data(), 1), rows, pre);
        else std::copy_n(projected_t, rows * G, pre);
        w.hidden.multiply_stacked(std::span(operands.data() + 1, R), rows,
                                  buf.pre_hidden(t) + r0 * G);
      }
      cell::PointwiseArgs step;
      step.rows = rows;
      step.units = H;
      step.gates = d.R() == 0 ? buf.pre(t) + r0 * G : pre;
      step.hidden = d.separate() ? buf.pre_hidden(t) + r0 * G : nullptr;
      for (std::size_t k = 0; k < d.S(); ++k) {
        step.state_in[k] =
            d.cell->step_reads_state[k] ? buf.state_in(k, n) + r0 * d.width(k) : nullptr;
        step.state_out[k] = k == 0 ? (d.projection() ? buf.h_raw(t) + r0 * H
                                                     : buf.h_after(t) + r0 * P)
                                   : buf.state_after(k, t) + r0 * H;
      }
      step.vectors = vectors_base;
      d.cell->forward(step);
      if (d.projection())
        w.project.multiply(buf.h_raw(t) + r0 * H, rows, buf.h_after(t) + r0 * P, false);
    }
    const std::chrono::duration<double> busy = std::chrono::steady_clock::now() - start;
    times.record(member, busy.count(), row_work(buf, mine));
  });
  if (by_rows > 1) times.report();
}

// The ragged run's output back in batch order, zero past each sequence's end.
void scatter_output(const Buffers& buf) {
  const Dims& d = buf.d;
  const std::size_t B = d.B, P = d.P;
  for (std::size_t t = 0; t < d.T; ++t) {
    const float* slot = buf.h_after(t);
    float* out = buf.output + t * B * P;
    const std::size_t rows = buf.active(t);
    for (std::size_t i = 0; i < B; ++i) {
      float* target = out + buf.order(i) * P;
      if (i < rows) std::copy_n(slot + i * P, P, target);
      else std::fill_n(target, P, 0.0f);
    }
  }
}

// One node per final state, [B, width]: each row's state after its own last step. Its
// gradient is read by the main node's backward (which sits just before it on the tape).
Var final_state(const Buffers& buf, const Var& sequence, std::size_t k) {
  const Dims& d = buf.d;
  const std::size_t width = d.width(k);
  NodeRecorder rec("recurrence_final_state", {sequence});
  Tensor& value = rec.output(Shape{d.B, width});
  for (std::size_t i = 0; i < d.B; ++i) {
    const std::size_t t = buf.last_time(i);
    const float* source = k == 0 ? buf.h_after(t) : buf.state_after(k, t);
    std::copy_n(source + i * width, width, value.data() + buf.order(i) * width);
  }
  return rec.finish([](BackwardContext& ctx) {
    // Makes the sequence node's backward run even when only final states reach the loss.
    if (ctx.needs_grad(0)) ctx.grad_input(0);
  });
}

}  // namespace
}  // namespace detail::recurrence

RecurrenceResult recurrence(const cell::CellSpec& cell, const RecurrenceInputs& in) {
  using namespace detail::recurrence;
  Dims d = check(cell, in);
  std::array<Var, 32> inputs;
  const std::size_t count = gather_inputs(in, d, inputs);
  static_assert(sizeof(Dims) <= 48);
  NodeRecorder rec(cell.name, std::span<const Var>(inputs.data(), count));
  const bool keep_all = rec.requires_grad();
  const Layout layout(d, keep_all);
  Tensor& output = rec.output(Shape{d.T, d.B, d.P});
  Tensor& saved = rec.saved(Shape{layout.total});
  Buffers buf{d, layout, saved.data(), output.data(), {}, keep_all};
  for (std::size_t k = 0; k < d.S(); ++k)
    buf.initial[k] = in.initial[k].defined() ? in.initial[k].value().data() : nullptr;
  const float* x = in.input.value().data();
  if (d.ragged) {
    sort_by_length(d, *in.lengths, buf.at(layout.order), buf.at(layout.active));
    float* sorted = buf.at(layout.x_sorted);
    for (std::size_t t = 0; t < d.T; ++t) {
      const std::size_t rows = buf.active(t), width = d.I;
      float* target = sorted + t * d.B * width;
      for (std::size_t i = 0; i < rows; ++i)
        std::copy_n(x + (t * d.B + buf.order(i)) * width, width, target + i * width);
      std::fill(target + rows * width, target + d.B * width, 0.0f);  // padding never reaches NaN
    }
    x = sorted;
  }
  if (in.recurrent_mask.defined()) {
    buf.mask = in.recurrent_mask.value().data();
    if (d.ragged) {
      gather(buf, buf.mask, buf.at(layout.mask_sorted), d.P);
      buf.mask = buf.at(layout.mask_sorted);
    }
  }
  if (d.ragged) {
    // Rows past a sequence's end take part in the after-loop GEMMs of the backward as zeros
    // (their gradients are zero; a stale NaN times zero would not be).
    std::fill_n(buf.at(layout.out_slots), (d.T + 1) * d.B * d.P, 0.0f);
    if (keep_all) std::fill_n(buf.at(layout.states), (d.T + 1) * (d.S() - 1) * d.B * d.H, 0.0f);
    if (keep_all && d.projection()) std::fill_n(buf.at(layout.h_raw), d.T * d.B * d.H, 0.0f);
  }
  place_initial_states(buf);
  run_forward(buf, x, in);
  if (d.ragged) scatter_output(buf);

  RecurrenceResult result;
  result.output = rec.finish([d](BackwardContext& ctx) { backward(ctx, d); });
  for (std::size_t k = 0; k < d.S(); ++k) result.final[k] = final_state(buf, result.output, k);
  return result;
}

}  // namespace recur
