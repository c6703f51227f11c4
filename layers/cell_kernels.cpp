// Each kernel is written once as a generic lane body and run over a row with full xsimd
// vectors, then with single floats for the tail (H need not be a multiple of the width).
#include "layers/cell_kernels.hpp"

#include <algorithm>
#include <cmath>

#include <xsimd/xsimd.hpp>

namespace recur::nn::detail {
namespace {

// A register of floats: the bulk of every row.
struct Vector {
  using type = xsimd::batch<float>;
  static constexpr std::size_t width = type::size;
  static type load(const float* p) { return type::load_unaligned(p); }
  static void store(float* p, type v) { v.store_unaligned(p); }
  static type exp(type v) { return xsimd::exp(v); }
  static type tanh(type v) { return xsimd::tanh(v); }
  static type positive(type v) { return xsimd::select(v > type(0.0f), type(1.0f), type(0.0f)); }
  static type relu(type v) { return xsimd::max(v, type(0.0f)); }
};

// One float: the tail of a row.
struct Scalar {
  using type = float;
  static constexpr std::size_t width = 1;
  static type load(const float* p) { return *p; }
  static void store(float* p, type v) { *p = v; }
  static type exp(type v) { return std::exp(v); }
  static type tanh(type v) { return std::tanh(v); }
  static type positive(type v) { return v > 0.0f ? 1.0f : 0.0f; }
  static type relu(type v) { return v > 0.0f ? v : 0.0f; }
};

// Always inlined: called out of line (as g++ chose at -O2), every live vector register is
// spilled around each call, since the ABI saves none of them, and the five activations of an
// LSTM unit cannot overlap their latencies.
template <class L>
[[gnu::always_inline]] inline typename L::type sigmoid(typename L::type x) {
  return 1.0f / (1.0f + L::exp(-x));
}

// Calls body.operator()<Lane>(j) for j = 0, width, ... over `count` elements, vectors first.
template <class Body>
void over_lanes(std::size_t count, Body&& body) {
  std::size_t j = 0;
  for (; j + Vector::width <= count; j += Vector::width) body.template operator()<Vector>(j);
  for (; j < count; ++j) body.template operator()<Scalar>(j);
}

}  // namespace

void rnn_forward_step(bool relu, float* h, std::size_t count) {
  over_lanes(count, [&]<class L>(std::size_t j) {
    const auto x = L::load(h + j);
    L::store(h + j, relu ? L::relu(x) : L::tanh(x));
  });
}

void lstm_forward_step(float* a, const float* cp, float* c, float* h, std::size_t B,
                       std::size_t H) {
  for (std::size_t b = 0; b < B; ++b) {
    float* row = a + b * 4 * H;
    const float* cp_row = cp + b * H;
    float* c_row = c + b * H;
    float* h_row = h + b * H;
    over_lanes(H, [&]<class L>(std::size_t j) {
      const auto i = sigmoid<L>(L::load(row + j));
      const auto f = sigmoid<L>(L::load(row + H + j));
      const auto g = L::tanh(L::load(row + 2 * H + j));
      const auto o = sigmoid<L>(L::load(row + 3 * H + j));
      const auto cell = f * L::load(cp_row + j) + i * g;
      L::store(row + j, i);
      L::store(row + H + j, f);
      L::store(row + 2 * H + j, g);
      L::store(row + 3 * H + j, o);
      L::store(c_row + j, cell);
      L::store(h_row + j, o * L::tanh(cell));
    });
  }
}

void gru_forward_step(const float* gx, const float* gh, const float* hp, float* saved, float* h,
                      std::size_t B, std::size_t H) {
  for (std::size_t b = 0; b < B; ++b) {
    const float* x = gx + b * 3 * H;
    const float* hh = gh + b * 3 * H;
    const float* hp_row = hp + b * H;
    float* s = saved + b * 4 * H;
    float* h_row = h + b * H;
    over_lanes(H, [&]<class L>(std::size_t j) {
      const auto r = sigmoid<L>(L::load(x + j) + L::load(hh + j));
      const auto z = sigmoid<L>(L::load(x + H + j) + L::load(hh + H + j));
      const auto hn = L::load(hh + 2 * H + j);
      const auto n = L::tanh(L::load(x + 2 * H + j) + r * hn);
      L::store(s + j, r);
      L::store(s + H + j, z);
      L::store(s + 2 * H + j, n);
      L::store(s + 3 * H + j, hn);
      L::store(h_row + j, n + z * (L::load(hp_row + j) - n));
    });
  }
}

void rnn_backward_step(bool relu, const float* h, const float* dh, float* dg, std::size_t count) {
  over_lanes(count, [&]<class L>(std::size_t j) {
    const auto y = L::load(h + j);
    const auto slope = relu ? L::positive(y) : 1.0f - y * y;
    L::store(dg + j, L::load(dh + j) * slope);
  });
}

void lstm_backward_step(const float* a, const float* cp, const float* c, const float* dh,
                        float* dc_next, float* dg, std::size_t B, std::size_t H) {
  for (std::size_t b = 0; b < B; ++b) {
    const float* row = a + b * 4 * H;
    float* d = dg + b * 4 * H;
    const float* c_row = c + b * H;
    const float* cp_row = cp + b * H;
    const float* dh_row = dh + b * H;
    float* dc_row = dc_next + b * H;
    over_lanes(H, [&]<class L>(std::size_t j) {
      const auto i = L::load(row + j), f = L::load(row + H + j);
      const auto g = L::load(row + 2 * H + j), o = L::load(row + 3 * H + j);
      const auto tc = L::tanh(L::load(c_row + j));
      const auto dh_j = L::load(dh_row + j);
      const auto dcell = L::load(dc_row + j) + dh_j * o * (1.0f - tc * tc);
      L::store(d + j, dcell * g * i * (1.0f - i));
      L::store(d + H + j, dcell * L::load(cp_row + j) * f * (1.0f - f));
      L::store(d + 2 * H + j, dcell * i * (1.0f - g * g));
      L::store(d + 3 * H + j, dh_j * tc * o * (1.0f - o));
      L::store(dc_row + j, dcell * f);
    });
  }
}

void gru_backward_step(const float* s, const float* hp, float* dh, float* dgh, float* dgx,
                       std::size_t B, std::size_t H) {
  for (std::size_t b = 0; b < B; ++b) {
    const float* row = s + b * 4 * H;
    float* d = dgh + b * 3 * H;
    float* dx = dgx + b * 3 * H;
    const float* hp_row = hp + b * H;
    float* dh_row = dh + b * H;
    over_lanes(H, [&]<class L>(std::size_t j) {
      const auto r = L::load(row + j), z = L::load(row + H + j);
      const auto n = L::load(row + 2 * H + j), hn = L::load(row + 3 * H + j);
      const auto grad = L::load(dh_row + j);
      const auto dn_pre = grad * (1.0f - z) * (1.0f - n * n);
      const auto dr_pre = dn_pre * hn * r * (1.0f - r);
      const auto dz_pre = grad * (L::load(hp_row + j) - n) * z * (1.0f - z);
      L::store(d + j, dr_pre);
      L::store(d + H + j, dz_pre);
      L::store(d + 2 * H + j, dn_pre * r);
      L::store(dx + j, dr_pre);
      L::store(dx + H + j, dz_pre);
      L::store(dx + 2 * H + j, dn_pre);
      L::store(dh_row + j, grad * z);
    });
  }
}

}  // namespace recur::nn::detail
