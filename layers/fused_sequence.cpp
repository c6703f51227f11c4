// The fused recurrent sequence: forward and BPTT of a whole layer direction in one node.
// Shapes: T steps, B batch, I input, H hidden, G = gates * H; rows of a [T*B, *] buffer are
// time-major.
//
// Forward, per step t (processed in order 0..T-1, or T-1..0 when reversed), hp the previous h:
//   pre_t = bias_x + x_t W_ih^T + hp W_hh^T   one packed product over the stacked [W_ih; W_hh]
//                                             (GRU: two, since r multiplies hp W_hn^T + b_hn;
//                                             batches of 1-3 rows: x W_ih^T of every step is
//                                             made before the loop, see Dims::project_all)
//   then the cell's pointwise equations on pre_t, in place (layers/cell_kernels.hpp).
// Backward, per processed step in reverse order: the pointwise derivatives give dG_t (the
// gradient of pre_t), then dh_prev = dG_t W_hh. The weight gradients dW_hh = sum_t dG_t^T hp_t,
// dW_ih = dGx^T X, dX = dGx W_ih and the bias column sums (dGx: the gradient of the input part,
// which for the GRU's candidate gate differs from dG) are added up either step by step, when
// the weights are small enough that dW stays in cache, or after the loop as one GEMM each over
// all rows (the outputs are contiguous, so hp_t of every step but the first processed one is a
// row block of the output itself).

#include "layers/fused_sequence.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <span>

#include "autograd/recorder.hpp"
#include "core/error.hpp"
#include "core/gemm.hpp"
#include "layers/cell_kernels.hpp"
#include "layers/packed_gemm.hpp"
#include "layers/transposed_product.hpp"

namespace recur::nn::detail {
namespace {

// Weight gradients at most this large (floats of dW_ih plus dW_hh) are added up step by step
// (layers/transposed_product.hpp), the rest by one GEMM each after the loop: 64K floats, 256 KiB,
// half of this machine's L2 per core. The memory-horizon LSTM (I 16, H 64) has 20K.
constexpr std::size_t kStepwiseWeightFloats = 64 * 1024;

// Sizes of one run, captured by the backward rule (trivially copyable, 40 bytes).
struct Dims {
  std::size_t T, B, I, H;
  CellKind kind;
  bool reverse;
  bool has_bias_x;
  bool has_bias_hh;  // GRU only

  std::size_t G() const { return gate_count(kind) * H; }
  // The time index of the n-th processed step.
  std::size_t time(std::size_t n) const { return reverse ? T - 1 - n : n; }
  // Whether the backward adds the weight gradients up per step, keeping one step's dG only.
  bool stepwise() const { return G() * (I + H) <= kStepwiseWeightFloats; }
  // Batches smaller than the packed kernel's 4-row block read the weights once per row of a
  // step, so the input half of them is read for all T*B rows at once before the loop instead:
  // per step the recurrent product then reads only W_hh (at B 1 the step is bound by reading
  // the packed weights from L3).
  bool project_all() const { return B < 4; }
  // Rows of dG the backward keeps: every step's, or the current step's.
  std::size_t kept_rows() const { return stepwise() ? B : T * B; }
  // The node's inputs: input, h0, weight_hh, weight_ih, then those present of bias_x, c0,
  // bias_hh in this order.
  std::size_t bias_x_index() const { return 4; }
  std::size_t c0_index() const { return 4 + has_bias_x; }
  std::size_t bias_hh_index() const { return 4 + has_bias_x; }
};

// Where the saved buffer's parts start (floats). keep_all: every step kept for backward;
// otherwise (inference) one step's gates and two c's are reused.
struct Layout {
  std::size_t gates = 0, cells = 0, step_x = 0, projected = 0, d_gates = 0, d_gates_x = 0,
              d_h = 0, d_c = 0, total = 0;
  Layout(const Dims& d, bool keep_all) {
    const std::size_t steps = keep_all ? d.T : 1;
    const bool gru = d.kind == CellKind::gru;
    // LSTM: i, f, g, o activations; GRU: r, z, n and hn (= hp W_hn^T + b_hn); RNN: none.
    const std::size_t gate_width = d.kind == CellKind::lstm || gru ? 4 * d.H : 0;
    cells = gates + steps * d.B * gate_width;
    step_x = cells + (d.kind == CellKind::lstm ? (keep_all ? d.T : 2) * d.B * d.H : 0);
    // GRU forward: one step's x_t W_ih^T + b_ih here, and hp W_hh^T + b_hh in d_gates below.
    projected = step_x + (gru ? d.B * d.G() : 0);
    // Small batches: every step's input projection, made before the loop (Dims::project_all).
    d_gates = projected + (d.project_all() ? d.T * d.B * d.G() : 0);
    // The GRU's dG (for W_hh, b_hh and hp), apart from dGx; RNN and LSTM have dG = dGx.
    d_gates_x = d_gates + (gru ? (keep_all ? d.kept_rows() : d.B) * d.G() : 0);
    d_h = d_gates_x + (keep_all ? d.kept_rows() * d.G() : 0);
    d_c = d_h + d.B * d.H;
    total = d_c + d.B * d.H;
  }
};

// The weights packed for the per-step products: [W_ih^T; W_hh^T] with the bias for the forward
// (the GRU's W_hh^T with b_hh in the second), W_hh for the backward (dG W_hh) and, stepwise,
// W_ih (dGx W_ih). Packed once per sequence; the memory stays with the thread.
PackedRight& packed_forward() {
  static thread_local PackedRight packed;
  return packed;
}
PackedRight& packed_forward_hidden() {
  static thread_local PackedRight packed;
  return packed;
}
PackedRight& packed_backward() {
  static thread_local PackedRight packed;
  return packed;
}
PackedRight& packed_backward_input() {  // W_ih for dx_t = dGx_t W_ih (stepwise backward)
  static thread_local PackedRight packed;
  return packed;
}

float* rows_of(Tensor& t, std::size_t row, std::size_t width) { return t.data() + row * width; }
const float* rows_of(const Tensor& t, std::size_t row, std::size_t width) {
  return t.data() + row * width;
}

// Adds the column sums of `rows` x `width` values to `sums`.
void add_column_sums(const float* values, std::size_t rows, std::size_t width, float* sums) {
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t k = 0; k < width; ++k) sums[k] += values[r * width + k];
}

void check_inputs(CellKind kind, const FusedSequenceInputs& in, std::size_t T) {
  const std::size_t H = in.weight_hh.rank() == 2 ? in.weight_hh.dim(1) : 0;
  const std::size_t G = gate_count(kind) * H, B = in.h0.rank() == 2 ? in.h0.dim(0) : 0;
  const Var& x = in.input;  // [T, B, I], or [T*B, I]
  const std::size_t I = x.rank() >= 2 ? x.dim(x.rank() - 1) : 0;
  const bool input_fits = (x.rank() == 2 && x.dim(0) == T * B) ||
                          (x.rank() == 3 && x.dim(0) == T && x.dim(1) == B);
  const auto is_vector = [&](const Var& v) { return v.rank() == 1 && v.dim(0) == G; };
  const bool ok = B > 0 && H > 0 && input_fits && in.weight_ih.rank() == 2 &&
                  in.weight_ih.dim(0) == G && in.weight_ih.dim(1) == I &&
                  in.weight_hh.dim(0) == G && in.h0.dim(1) == H &&
                  (!in.bias_x.defined() || is_vector(in.bias_x)) &&
                  (kind != CellKind::lstm || (in.c0.defined() && in.c0.rank() == 2 &&
                                              in.c0.dim(0) == B && in.c0.dim(1) == H)) &&
                  (!in.bias_hh.defined() || (kind == CellKind::gru && is_vector(in.bias_hh)));
  if (!ok)
    throw ShapeError("fused_sequence: input " + shape_str(x.shape()) + ", weight_ih " +
                     shape_str(in.weight_ih.shape()) + ", h0 " + shape_str(in.h0.shape()) +
                     ", weight_hh " + shape_str(in.weight_hh.shape()) + " do not fit " +
                     std::to_string(T) + " steps");
}

}  // namespace

Var fused_sequence(CellKind kind, const FusedSequenceInputs& in, std::size_t seq_len,
                   bool reverse) {
  check_inputs(kind, in, seq_len);
  const bool is_lstm = kind == CellKind::lstm, is_gru = kind == CellKind::gru;
  const Dims d{seq_len, in.h0.dim(0), in.weight_ih.dim(1), in.weight_hh.dim(1), kind, reverse,
               in.bias_x.defined(), in.bias_hh.defined()};
  static_assert(sizeof(Dims) <= 40);
  std::array<Var, 7> inputs{in.input, in.h0, in.weight_hh, in.weight_ih};
  std::size_t count = 4;
  if (d.has_bias_x) inputs[count++] = in.bias_x;
  if (is_lstm) inputs[count++] = in.c0;
  if (d.has_bias_hh) inputs[count++] = in.bias_hh;
  NodeRecorder rec("fused_sequence", std::span<const Var>(inputs.data(), count));
  const bool keep_all = rec.requires_grad();
  const Layout layout(d, keep_all);
  const std::size_t T = d.T, B = d.B, I = d.I, H = d.H, G = d.G();
  Tensor& out = rec.output(Shape{(is_lstm ? T + 1 : T) * B, H});
  Tensor& saved = rec.saved(Shape{layout.total});
  const Tensor& x = in.input.value();
  const float* bias_x = d.has_bias_x ? in.bias_x.value().data() : nullptr;
  float* base = saved.data();
  PackedRight& w = packed_forward();
  PackedRight& w_hidden = packed_forward_hidden();
  if (is_gru) {
    w.pack_stacked(in.weight_ih.value().data(), I, nullptr, 0, true, G, bias_x);
    w_hidden.pack_stacked(in.weight_hh.value().data(), H, nullptr, 0, true, G,
                          d.has_bias_hh ? in.bias_hh.value().data() : nullptr);
  } else {
    w.pack_stacked(in.weight_ih.value().data(), I, in.weight_hh.value().data(), H, true, G, bias_x);
  }

  // project_all: P = X W_ih^T before the loop (GRU: + b_ih), then per step pre_t = b + P_t +
  // hp W_hh^T; otherwise x_t and hp go through the stacked product together.
  float* projected = d.project_all() ? base + layout.projected : nullptr;
  if (projected && is_gru) w.multiply_pair(x.data(), nullptr, T * B, projected);
  else if (projected) w.multiply_first(x.data(), T * B, projected);
  const auto pre_activation = [&](const float* x_t, const float* hp, std::size_t t, float* dest) {
    if (projected) w.multiply_pair(nullptr, hp, B, dest, projected + t * B * G);
    else w.multiply_pair(x_t, hp, B, dest);
  };

  for (std::size_t n = 0; n < T; ++n) {
    const std::size_t t = d.time(n);
    const float* hp = n == 0 ? in.h0.value().data() : rows_of(out, d.time(n - 1) * B, H);
    float* h = rows_of(out, t * B, H);
    const float* x_t = rows_of(x, t * B, I);
    if (kind == CellKind::rnn_tanh || kind == CellKind::rnn_relu) {
      pre_activation(x_t, hp, t, h);
      rnn_forward_step(kind == CellKind::rnn_relu, h, B * H);
    } else if (is_lstm) {
      float* a = base + layout.gates + (keep_all ? t : 0) * B * 4 * H;
      const std::size_t slot = keep_all ? t : n % 2;
      const std::size_t prev_slot = keep_all ? d.time(n - 1) : (n + 1) % 2;
      float* c = base + layout.cells + slot * B * H;
      const float* cp = n == 0 ? in.c0.value().data() : base + layout.cells + prev_slot * B * H;
      pre_activation(x_t, hp, t, a);
      lstm_forward_step(a, cp, c, h, B, H);
      if (n + 1 == T) std::memcpy(rows_of(out, T * B, H), c, B * H * sizeof(float));
    } else {
      float* gx = projected ? projected + t * B * G : base + layout.step_x;  // x_t W_ih^T + b_ih
      float* gh = base + layout.d_gates;  // hp W_hh^T + b_hh (free until backward)
      if (!projected) w.multiply_pair(x_t, nullptr, B, gx);
      w_hidden.multiply_pair(hp, nullptr, B, gh);
      float* s = base + layout.gates + (keep_all ? t : 0) * B * 4 * H;
      gru_forward_step(gx, gh, hp, s, h, B, H);
    }
  }

  return rec.finish([d](BackwardContext& ctx) {
    const Layout layout(d, true);
    const std::size_t T = d.T, B = d.B, I = d.I, H = d.H, G = d.G(), rows = T * B;
    const bool is_lstm = d.kind == CellKind::lstm, is_gru = d.kind == CellKind::gru;
    const bool stepwise = d.stepwise();
    const Tensor& dout = ctx.grad_output();
    const Tensor& out = ctx.output();
    const float* x = ctx.input(0).data();
    // The saved buffer is the node's own; backward writes its scratch parts (dG, dGx, dh, dc).
    float* base = const_cast<float*>(ctx.saved().data());
    float* dGx = base + layout.d_gates_x;                   // [kept rows, G]
    float* dG = is_gru ? base + layout.d_gates : dGx;       // [kept rows, G]
    float* dh = base + layout.d_h;      // [B, H], dL/dh of the step being processed
    float* dc = base + layout.d_c;      // [B, H], LSTM: dL/dc flowing to the earlier step
    std::fill(dh, dh + B * H, 0.0f);
    if (is_lstm) std::memcpy(dc, rows_of(dout, T * B, H), B * H * sizeof(float));
    PackedRight& wp = packed_backward();
    wp.pack(ctx.input(2).data(), false, G, H);
    // Stepwise, every gradient of a step is taken while its dG is in cache; null: not needed.
    float* dw_hh = ctx.needs_grad(2) ? ctx.grad_input(2).data() : nullptr;
    float* dw_ih = ctx.needs_grad(3) ? ctx.grad_input(3).data() : nullptr;
    float* dx = ctx.needs_grad(0) ? ctx.grad_input(0).data() : nullptr;
    float* db_x = d.has_bias_x && ctx.needs_grad(d.bias_x_index())
                      ? ctx.grad_input(d.bias_x_index()).data() : nullptr;
    float* db_hh = d.has_bias_hh && ctx.needs_grad(d.bias_hh_index())
                       ? ctx.grad_input(d.bias_hh_index()).data() : nullptr;
    PackedRight& wx = packed_backward_input();
    if (stepwise && dx) wx.pack(ctx.input(3).data(), false, G, I);
    for (std::size_t n = T; n-- > 0;) {
      const std::size_t t = d.time(n);
      const float* hp = n == 0 ? ctx.input(1).data() : rows_of(out, d.time(n - 1) * B, H);
      const float* incoming = rows_of(dout, t * B, H);
      for (std::size_t k = 0; k < B * H; ++k) dh[k] += incoming[k];
      const std::size_t kept = stepwise ? 0 : t * B * G;  // this step's rows of dG and dGx
      float* g = dG + kept;
      float* gx = dGx + kept;
      if (is_lstm) {
        const float* a = base + layout.gates + t * B * 4 * H;
        const float* c = base + layout.cells + t * B * H;
        const float* cp = n == 0 ? ctx.input(d.c0_index()).data()
                                 : base + layout.cells + d.time(n - 1) * B * H;
        lstm_backward_step(a, cp, c, dh, dc, g, B, H);
        wp.multiply(g, B, dh, false);
      } else if (is_gru) {
        gru_backward_step(base + layout.gates + t * B * 4 * H, hp, dh, g, gx, B, H);
        wp.multiply(g, B, dh, true);
      } else {
        rnn_backward_step(d.kind == CellKind::rnn_relu, rows_of(out, t * B, H), dh, g, B * H);
        wp.multiply(g, B, dh, false);
      }
      if (!stepwise) continue;
      if (dw_hh) add_transposed_product(g, G, hp, H, B, G, H, dw_hh, H);
      if (dw_ih) add_transposed_product(gx, G, x + t * B * I, I, B, G, I, dw_ih, I);
      if (dx) wx.multiply(gx, B, dx + t * B * I, true);
      if (db_x) add_column_sums(gx, B, G, db_x);
      if (db_hh) add_column_sums(g, B, G, db_hh);
    }
    if (ctx.needs_grad(1)) {
      float* dh0 = ctx.grad_input(1).data();
      for (std::size_t k = 0; k < B * H; ++k) dh0[k] += dh[k];
    }
    if (is_lstm && ctx.needs_grad(d.c0_index())) {
      float* dc0 = ctx.grad_input(d.c0_index()).data();
      for (std::size_t k = 0; k < B * H; ++k) dc0[k] += dc[k];
    }
    if (stepwise) return;
    if (dw_hh) {
      // dW_hh += sum_t dG_t^T hp_t: the first processed step reads h0, the others read the
      // output rows one step earlier, which line up with dG's rows shifted by one step.
      const std::size_t first = d.time(0);
      gemm_raw(dG + first * B * G, true, ctx.input(1).data(), false, dw_hh, G, H, B, 1.0f, 1.0f);
      if (T > 1) {
        const float* g_rows = d.reverse ? dG : dG + B * G;        // steps processed after the first
        const float* h_rows = d.reverse ? out.data() + B * H : out.data();  // their hp
        gemm_raw(g_rows, true, h_rows, false, dw_hh, G, H, (T - 1) * B, 1.0f, 1.0f);
      }
    }
    if (db_hh) add_column_sums(dG, rows, G, db_hh);
    // The input projection's gradients, as linear() would give them.
    if (dx) gemm_raw(dGx, false, ctx.input(3).data(), false, dx, rows, I, G, 1.0f, 1.0f);
    if (dw_ih) gemm_raw(dGx, true, x, false, dw_ih, G, I, rows, 1.0f, 1.0f);
    if (db_x) add_column_sums(dGx, rows, G, db_x);
  });
}

}  // namespace recur::nn::detail
