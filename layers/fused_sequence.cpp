// The fused recurrent sequence: forward and BPTT of a whole layer direction in one node.
// Shapes: T steps, B batch, H hidden, G = gates * H; rows of a [T*B, *] buffer are time-major.
//
// Forward, per step t (processed in order 0..T-1, or T-1..0 when reversed), hp the previous h:
//   pre_t = gates_x[t] + hp W_hh^T            (the packed product, adding gates_x as it stores)
//   then the cell's pointwise equations on pre_t, in place (layers/cell_kernels.hpp).
// Backward, per processed step in reverse order: the pointwise derivatives give dG_t (the
// gradient of pre_t), then dh_prev = dG_t W_hh. After the loop, dW_hh = sum_t dG_t^T hp_t is two
// GEMMs over all rows at once (the outputs are contiguous, so hp_t of every step but the first
// processed one is a row block of the output itself).
#include "layers/fused_sequence.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

#include "autograd/recorder.hpp"
#include "core/error.hpp"
#include "core/gemm.hpp"
#include "layers/cell_kernels.hpp"
#include "layers/packed_gemm.hpp"

namespace recur::nn::detail {
namespace {

// Sizes of one run, captured by the backward rule (trivially copyable, 32 bytes).
struct Dims {
  std::size_t T, B, H;
  CellKind kind;
  bool reverse;
  bool has_bias_hh;  // GRU: bias_hh is input 3

  std::size_t G() const { return gate_count(kind) * H; }
  // The time index of the n-th processed step.
  std::size_t time(std::size_t n) const { return reverse ? T - 1 - n : n; }
};

// Where the saved buffer's parts start (floats). keep_all: every step kept for backward;
// otherwise (inference) one step's gates and two c's are reused.
struct Layout {
  std::size_t gates = 0, cells = 0, d_gates = 0, d_h = 0, d_c = 0, total = 0;
  Layout(const Dims& d, bool keep_all) {
    const std::size_t steps = keep_all ? d.T : 1, rows = d.T * d.B;
    // LSTM: i, f, g, o activations; GRU: r, z, n and hn (= hp W_hn^T + b_hn); RNN: none.
    const std::size_t gate_width = d.kind == CellKind::lstm ? 4 * d.H
                                 : d.kind == CellKind::gru  ? 4 * d.H
                                                            : 0;
    cells = gates + steps * d.B * gate_width;
    d_gates = cells + (d.kind == CellKind::lstm ? (keep_all ? d.T : 2) * d.B * d.H : 0);
    // The GRU keeps its dG here (the backward writes dgates_x and dG_h apart), and its forward
    // needs hp W_hh^T + b_hh for one step in the same place. RNN and LSTM write dG straight
    // into the gradient of gates_x (see the backward), so they need no room for it.
    const bool gru = d.kind == CellKind::gru;
    d_h = d_gates + (gru ? (keep_all ? rows * d.G() : d.B * d.G()) : 0);
    d_c = d_h + d.B * d.H;
    total = d_c + d.B * d.H;
  }
};

// The recurrent weight packed for the per-step products: W_hh^T for the forward (hp W_hh^T),
// W_hh for the backward (dG W_hh). Packed once per sequence; the memory stays with the thread.
PackedRight& packed_weight_forward() {
  static thread_local PackedRight packed;
  return packed;
}
PackedRight& packed_weight_backward() {
  static thread_local PackedRight packed;
  return packed;
}

float* rows_of(Tensor& t, std::size_t row, std::size_t width) { return t.data() + row * width; }
const float* rows_of(const Tensor& t, std::size_t row, std::size_t width) {
  return t.data() + row * width;
}

void check_inputs(CellKind kind, const FusedSequenceInputs& in, std::size_t T) {
  const std::size_t H = in.weight_hh.dim(1), G = gate_count(kind) * H;
  const std::size_t B = in.h0.dim(0);
  const Var& gx = in.gates_x;  // [T*B, G], or [T, B, G] straight from linear() on the input
  const bool gates_fit = (gx.rank() == 2 && gx.dim(0) == T * B && gx.dim(1) == G) ||
                         (gx.rank() == 3 && gx.dim(0) == T && gx.dim(1) == B && gx.dim(2) == G);
  const bool ok = gates_fit &&
                  in.weight_hh.rank() == 2 && in.weight_hh.dim(0) == G && in.h0.rank() == 2 &&
                  in.h0.dim(1) == H &&
                  (kind != CellKind::lstm ||
                   (in.c0.defined() && in.c0.rank() == 2 && in.c0.dim(0) == B && in.c0.dim(1) == H)) &&
                  (!in.bias_hh.defined() || (in.bias_hh.rank() == 1 && in.bias_hh.dim(0) == G));
  if (!ok)
    throw ShapeError("fused_sequence: gates_x " + shape_str(in.gates_x.shape()) + ", h0 " +
                     shape_str(in.h0.shape()) + ", weight_hh " + shape_str(in.weight_hh.shape()) +
                     " do not fit " + std::to_string(T) + " steps");
}

}  // namespace

Var fused_sequence(CellKind kind, const FusedSequenceInputs& in, std::size_t seq_len,
                   bool reverse) {
  if (in.weight_hh.rank() != 2 || in.h0.rank() != 2)
    throw ShapeError("fused_sequence: weight_hh " + shape_str(in.weight_hh.shape()) + " and h0 " +
                     shape_str(in.h0.shape()) + " must be 2-D");
  check_inputs(kind, in, seq_len);
  const bool is_lstm = kind == CellKind::lstm, is_gru = kind == CellKind::gru;
  const bool has_bias_hh = is_gru && in.bias_hh.defined();
  const Dims d{seq_len, in.h0.dim(0), in.weight_hh.dim(1), kind, reverse, has_bias_hh};
  // Inputs: gates_x, h0, weight_hh, then c0 (LSTM) or bias_hh (GRU with bias).
  NodeRecorder rec = is_lstm       ? NodeRecorder("fused_sequence", {in.gates_x, in.h0, in.weight_hh, in.c0})
                     : has_bias_hh ? NodeRecorder("fused_sequence", {in.gates_x, in.h0, in.weight_hh, in.bias_hh})
                                   : NodeRecorder("fused_sequence", {in.gates_x, in.h0, in.weight_hh});
  const bool keep_all = rec.requires_grad();
  const Layout layout(d, keep_all);
  const std::size_t T = d.T, B = d.B, H = d.H, G = d.G();
  Tensor& out = rec.output(Shape{(is_lstm ? T + 1 : T) * B, H});
  Tensor& saved = rec.saved(Shape{layout.total});
  const Tensor& gx = in.gates_x.value();
  const Tensor& w = in.weight_hh.value();
  float* base = saved.data();
  PackedRight& wt = packed_weight_forward();
  wt.pack(w.data(), true, H, G);

  for (std::size_t n = 0; n < T; ++n) {
    const std::size_t t = d.time(n);
    const float* hp = n == 0 ? in.h0.value().data() : rows_of(out, d.time(n - 1) * B, H);
    float* h = rows_of(out, t * B, H);
    const float* x = rows_of(gx, t * B, G);
    if (kind == CellKind::rnn_tanh || kind == CellKind::rnn_relu) {
      wt.multiply_add(hp, B, x, h);
      rnn_forward_step(kind == CellKind::rnn_relu, h, B * H);
    } else if (is_lstm) {
      float* a = base + layout.gates + (keep_all ? t : 0) * B * 4 * H;
      const std::size_t slot = keep_all ? t : n % 2, prev_slot = keep_all ? d.time(n - 1) : (n + 1) % 2;
      float* c = base + layout.cells + slot * B * H;
      const float* cp = n == 0 ? in.c0.value().data() : base + layout.cells + prev_slot * B * H;
      wt.multiply_add(hp, B, x, a);
      lstm_forward_step(a, cp, c, h, B, H);
      if (n + 1 == T) std::memcpy(rows_of(out, T * B, H), c, B * H * sizeof(float));
    } else {
      float* gh = base + layout.d_gates;  // one step's hp W_hh^T + b_hh (free until backward)
      if (has_bias_hh) {
        const float* bias = in.bias_hh.value().data();
        for (std::size_t b = 0; b < B; ++b) std::memcpy(gh + b * G, bias, G * sizeof(float));
      }
      wt.multiply(hp, B, gh, has_bias_hh);
      float* s = base + layout.gates + (keep_all ? t : 0) * B * 4 * H;
      gru_forward_step(x, gh, hp, s, h, B, H);
    }
  }

  return rec.finish([d](BackwardContext& ctx) {
    const Layout layout(d, true);
    const bool has_bias_hh = d.has_bias_hh;
    const std::size_t T = d.T, B = d.B, H = d.H, G = d.G();
    const bool is_lstm = d.kind == CellKind::lstm, is_gru = d.kind == CellKind::gru;
    const Tensor& dout = ctx.grad_output();
    const Tensor& out = ctx.output();
    const Tensor& w = ctx.input(2);
    // The saved buffer is the node's own; backward writes its scratch parts (dG, dh, dc).
    float* base = const_cast<float*>(ctx.saved().data());
    // dG [T*B, G], time-major. For RNN and LSTM it is exactly dL/dgates_x, so it is written
    // straight into that gradient when nothing else has added to it yet (the usual case: the
    // layer's own input projection); otherwise into scratch that is added afterwards.
    const bool need_x = ctx.needs_grad(0);
    Tensor* direct = (need_x && !is_gru) ? ctx.grad_input_to_overwrite(0) : nullptr;
    float* dG;
    if (is_gru) {
      dG = base + layout.d_gates;
    } else if (direct) {
      dG = direct->data();
    } else {
      static thread_local std::vector<float> scratch;
      if (scratch.size() < T * B * G) scratch.resize(T * B * G);
      dG = scratch.data();
    }
    float* dh = base + layout.d_h;      // [B, H], dL/dh of the step being processed
    float* dc = base + layout.d_c;      // [B, H], LSTM: dL/dc flowing to the earlier step
    std::fill(dh, dh + B * H, 0.0f);
    if (is_lstm) std::memcpy(dc, rows_of(dout, T * B, H), B * H * sizeof(float));
    PackedRight& wp = packed_weight_backward();
    wp.pack(w.data(), false, G, H);
    Tensor* dgx = (is_gru && need_x) ? &ctx.grad_input(0) : nullptr;
    for (std::size_t n = T; n-- > 0;) {
      const std::size_t t = d.time(n);
      const float* hp = n == 0 ? ctx.input(1).data() : rows_of(out, d.time(n - 1) * B, H);
      const float* incoming = rows_of(dout, t * B, H);
      for (std::size_t k = 0; k < B * H; ++k) dh[k] += incoming[k];
      float* g = dG + t * B * G;
      if (is_lstm) {
        const float* a = base + layout.gates + t * B * 4 * H;
        const float* c = base + layout.cells + t * B * H;
        const float* cp = n == 0 ? ctx.input(3).data() : base + layout.cells + d.time(n - 1) * B * H;
        lstm_backward_step(a, cp, c, dh, dc, g, B, H);
        wp.multiply(g, B, dh, false);
      } else if (is_gru) {
        static thread_local Tensor no_grad_scratch;
        float* dx;
        if (dgx) {
          dx = rows_of(*dgx, t * B, G);
        } else {
          if (no_grad_scratch.size() < B * G) no_grad_scratch.resize({B * G});
          dx = no_grad_scratch.data();
        }
        gru_backward_step(base + layout.gates + t * B * 4 * H, hp, dh, g, dx, B, H);
        wp.multiply(g, B, dh, true);
      } else {
        rnn_backward_step(d.kind == CellKind::rnn_relu, rows_of(out, t * B, H), dh, g, B * H);
        wp.multiply(g, B, dh, false);
      }
    }
    if (need_x && !is_gru && !direct) {
      float* dx = ctx.grad_input(0).data();
      for (std::size_t k = 0; k < T * B * G; ++k) dx[k] += dG[k];
    }
    if (ctx.needs_grad(1)) {
      float* dh0 = ctx.grad_input(1).data();
      for (std::size_t k = 0; k < B * H; ++k) dh0[k] += dh[k];
    }
    if (is_lstm && ctx.needs_grad(3)) {
      float* dc0 = ctx.grad_input(3).data();
      for (std::size_t k = 0; k < B * H; ++k) dc0[k] += dc[k];
    }
    if (ctx.needs_grad(2)) {
      // dW_hh += sum_t dG_t^T hp_t: the first processed step reads h0, the others read the
      // output rows one step earlier, which line up with dG's rows shifted by one step.
      float* dw = ctx.grad_input(2).data();
      const std::size_t first = d.time(0);
      gemm_raw(dG + first * B * G, true, ctx.input(1).data(), false, dw, G, H, B, 1.0f, 1.0f);
      if (T > 1) {
        const std::size_t rows = (T - 1) * B;
        const float* g_rows = d.reverse ? dG : dG + B * G;        // steps processed after the first
        const float* h_rows = d.reverse ? out.data() + B * H : out.data();  // their hp
        gemm_raw(g_rows, true, h_rows, false, dw, G, H, rows, 1.0f, 1.0f);
      }
    }
    if (has_bias_hh && ctx.needs_grad(3)) {
      float* db = ctx.grad_input(3).data();
      for (std::size_t r = 0; r < T * B; ++r)
        for (std::size_t k = 0; k < G; ++k) db[k] += dG[r * G + k];
    }
  });
}

}  // namespace recur::nn::detail
