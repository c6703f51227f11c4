// The fused recurrent sequence: forward and BPTT of a whole layer direction in one node.
// Shapes: T steps, B batch, H hidden, G = gates * H; rows of a [T*B, *] buffer are time-major.
//
// Forward, per step t (processed in order 0..T-1, or T-1..0 when reversed), hp the previous h:
//   pre_t = gates_x[t] + hp W_hh^T            (GEMM with beta = 1 into the gate buffer)
//   then the cell's pointwise equations on pre_t, in place (see each kernel).
// Backward, per processed step in reverse order: the pointwise derivatives give dG_t (the
// gradient of pre_t), then dh_prev = dG_t W_hh. After the loop, dW_hh = sum_t dG_t^T hp_t is two
// GEMMs over all rows at once (the outputs are contiguous, so hp_t of every step but the first
// processed one is a row block of the output itself).
#include "layers/fused_sequence.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

#include "autograd/ops/lanes.hpp"
#include "autograd/recorder.hpp"
#include "core/error.hpp"
#include "core/gemm.hpp"
#include "layers/packed_gemm.hpp"

namespace recur::nn::detail {
namespace {

using recur::detail::span_of;

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

// ---- forward kernels: one step, all B rows ----

// RNN: h = act(pre), computed in place in the output rows.
void rnn_forward(bool relu, float* h, std::size_t count) {
  auto v = span_of(h, count);
  if (relu) xt::noalias(v) = xt::maximum(v, 0.0f);
  else xt::noalias(v) = xt::tanh(v);
}

// LSTM: a = [i, f, g, o] pre-activations -> activations in place;
//   c = f * cp + i * g,  h = o * tanh(c)
void lstm_forward(float* a, const float* cp, float* c, float* h, std::size_t B, std::size_t H) {
  for (std::size_t b = 0; b < B; ++b) {
    float* row = a + b * 4 * H;
    auto ifo_i = span_of(row, 2 * H);  // i and f are adjacent
    xt::noalias(ifo_i) = 1.0f / (1.0f + xt::exp(-ifo_i));
    auto g = span_of(row + 2 * H, H);
    xt::noalias(g) = xt::tanh(g);
    auto o = span_of(row + 3 * H, H);
    xt::noalias(o) = 1.0f / (1.0f + xt::exp(-o));
    auto cv = span_of(c + b * H, H);
    xt::noalias(cv) = span_of(row + H, H) * span_of(cp + b * H, H) + span_of(row, H) * g;
    xt::noalias(span_of(h + b * H, H)) = o * xt::tanh(cv);
  }
}

// GRU: gx = x-side pre-activations [r, z, n], gh = hp W_hh^T + b_hh [r, z, n];
//   r = sigmoid(gx_r + gh_r), z = sigmoid(gx_z + gh_z), n = tanh(gx_n + r * gh_n),
//   h = n + z * (hp - n). Saves [r, z, n, gh_n] per row.
void gru_forward(const float* gx, const float* gh, const float* hp, float* saved, float* h,
                 std::size_t B, std::size_t H) {
  for (std::size_t b = 0; b < B; ++b) {
    const float* x = gx + b * 3 * H;
    const float* hh = gh + b * 3 * H;
    float* s = saved + b * 4 * H;
    auto rz = span_of(s, 2 * H);
    xt::noalias(rz) = 1.0f / (1.0f + xt::exp(-(span_of(x, 2 * H) + span_of(hh, 2 * H))));
    auto hn = span_of(s + 3 * H, H);
    xt::noalias(hn) = span_of(hh + 2 * H, H);
    auto n = span_of(s + 2 * H, H);
    xt::noalias(n) = xt::tanh(span_of(x + 2 * H, H) + span_of(s, H) * hn);
    xt::noalias(span_of(h + b * H, H)) = n + span_of(s + H, H) * (span_of(hp + b * H, H) - n);
  }
}

// ---- backward kernels: one step, all B rows. dh holds the incoming dL/dh of the step on entry.

// RNN: dG = dh * act'(h)
void rnn_backward(bool relu, const float* h, const float* dh, float* dg, std::size_t count) {
  for (std::size_t k = 0; k < count; ++k)
    dg[k] = relu ? (h[k] > 0.0f ? dh[k] : 0.0f) : dh[k] * (1.0f - h[k] * h[k]);
}

// LSTM, with tc = tanh(c):
//   do = dh * tc,  dc = dc_next + dh * o * (1 - tc^2)
//   di = dc * g,  dg = dc * i,  df = dc * cp,  dc_next = dc * f
//   dG = [di i(1-i), df f(1-f), dg (1-g^2), do o(1-o)]
void lstm_backward(const float* a, const float* cp, const float* c, const float* dh, float* dc_next,
                   float* dg, std::size_t B, std::size_t H) {
  for (std::size_t b = 0; b < B; ++b) {
    const float* row = a + b * 4 * H;
    float* d = dg + b * 4 * H;
    const float* cr = c + b * H;
    const float* cpr = cp + b * H;
    const float* dhr = dh + b * H;
    float* dcr = dc_next + b * H;
    // tanh(c) first, into the o-gradient slot (vectorised), then plain loops GCC vectorises.
    xt::noalias(span_of(d + 3 * H, H)) = xt::tanh(span_of(cr, H));
    for (std::size_t j = 0; j < H; ++j) {
      const float i = row[j], f = row[H + j], g = row[2 * H + j], o = row[3 * H + j];
      const float tc = d[3 * H + j];
      const float dcell = dcr[j] + dhr[j] * o * (1.0f - tc * tc);
      d[j] = dcell * g * i * (1.0f - i);
      d[H + j] = dcell * cpr[j] * f * (1.0f - f);
      d[2 * H + j] = dcell * i * (1.0f - g * g);
      d[3 * H + j] = dhr[j] * tc * o * (1.0f - o);
      dcr[j] = dcell * f;
    }
  }
}

// GRU: dn = dh (1 - z), dz = dh (hp - n), dh_prev (direct part) = dh z,
//   dn_pre = dn (1 - n^2), dr_pre = dn_pre gh_n r (1 - r), dz_pre = dz z (1 - z)
//   dG_h = [dr_pre, dz_pre, dn_pre r] (for W_hh, b_hh, hp), dgates_x += [dr_pre, dz_pre, dn_pre]
// On exit dh holds the direct part dh z.
void gru_backward(const float* s, const float* hp, float* dh, float* dgh, float* dgx,
                  std::size_t B, std::size_t H) {
  for (std::size_t b = 0; b < B; ++b) {
    const float* row = s + b * 4 * H;
    float* d = dgh + b * 3 * H;
    float* dx = dgx + b * 3 * H;
    const float* hpr = hp + b * H;
    float* dhr = dh + b * H;
    for (std::size_t j = 0; j < H; ++j) {
      const float r = row[j], z = row[H + j], n = row[2 * H + j], hn = row[3 * H + j];
      const float g = dhr[j];
      const float dn_pre = g * (1.0f - z) * (1.0f - n * n);
      const float dr_pre = dn_pre * hn * r * (1.0f - r);
      const float dz_pre = g * (hpr[j] - n) * z * (1.0f - z);
      d[j] = dr_pre;
      d[H + j] = dz_pre;
      d[2 * H + j] = dn_pre * r;
      dx[j] += dr_pre;
      dx[H + j] += dz_pre;
      dx[2 * H + j] += dn_pre;
      dhr[j] = g * z;
    }
  }
}

void check_inputs(CellKind kind, const FusedSequenceInputs& in, std::size_t T) {
  const std::size_t H = in.weight_hh.dim(1), G = gate_count(kind) * H;
  const std::size_t B = in.h0.dim(0);
  const bool ok = in.gates_x.rank() == 2 && in.gates_x.dim(0) == T * B && in.gates_x.dim(1) == G &&
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
      std::memcpy(h, x, B * H * sizeof(float));
      wt.multiply(hp, B, h, true);
      rnn_forward(kind == CellKind::rnn_relu, h, B * H);
    } else if (is_lstm) {
      float* a = base + layout.gates + (keep_all ? t : 0) * B * 4 * H;
      const std::size_t slot = keep_all ? t : n % 2, prev_slot = keep_all ? d.time(n - 1) : (n + 1) % 2;
      float* c = base + layout.cells + slot * B * H;
      const float* cp = n == 0 ? in.c0.value().data() : base + layout.cells + prev_slot * B * H;
      std::memcpy(a, x, B * G * sizeof(float));
      wt.multiply(hp, B, a, true);
      lstm_forward(a, cp, c, h, B, H);
      if (n + 1 == T) std::memcpy(rows_of(out, T * B, H), c, B * H * sizeof(float));
    } else {
      float* gh = base + layout.d_gates;  // one step's hp W_hh^T + b_hh (free until backward)
      if (has_bias_hh) {
        const float* bias = in.bias_hh.value().data();
        for (std::size_t b = 0; b < B; ++b) std::memcpy(gh + b * G, bias, G * sizeof(float));
      }
      wt.multiply(hp, B, gh, has_bias_hh);
      float* s = base + layout.gates + (keep_all ? t : 0) * B * 4 * H;
      gru_forward(x, gh, hp, s, h, B, H);
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
        lstm_backward(a, cp, c, dh, dc, g, B, H);
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
        gru_backward(base + layout.gates + t * B * 4 * H, hp, dh, g, dx, B, H);
        wp.multiply(g, B, dh, true);
      } else {
        rnn_backward(d.kind == CellKind::rnn_relu, rows_of(out, t * B, H), dh, g, B * H);
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
