/// @file
/// The pointwise part of one time step of the fused RNN, LSTM and GRU (fused_sequence.cpp), for
/// all B rows of a step at once: the activations after the recurrent product in the forward,
/// and the gradients of the pre-activations in the backward. Each kernel makes one pass over
/// its rows with explicit xsimd vectors: g++ at -O2 leaves such multi-stream loops scalar, and
/// separate xtensor expressions per gate read every row several times.
/// Internal to the layers; not part of the public API.
#pragma once

#include <cstddef>

namespace recur::nn::detail {

/// RNN: h = act(pre) in place over `count` floats, act relu or tanh.
void rnn_forward_step(bool relu, float* h, std::size_t count);

/// LSTM: `a` holds [B, 4H] pre-activations [i, f, g, o], replaced by their activations
/// (sigmoid, sigmoid, tanh, sigmoid); then c = f * cp + i * g and h = o * tanh(c), [B, H] each.
void lstm_forward_step(float* a, const float* cp, float* c, float* h, std::size_t B,
                       std::size_t H);

/// GRU: gx = x-side pre-activations [B, 3H] ([r, z, n]), gh = hp W_hh^T + b_hh [B, 3H];
///   r = sigmoid(gx_r + gh_r), z = sigmoid(gx_z + gh_z), n = tanh(gx_n + r * gh_n),
///   h = n + z * (hp - n). Saves [r, z, n, gh_n] per row in `saved` [B, 4H].
void gru_forward_step(const float* gx, const float* gh, const float* hp, float* saved, float* h,
                      std::size_t B, std::size_t H);

/// RNN: dG = dh * act'(pre), from the step's output h.
void rnn_backward_step(bool relu, const float* h, const float* dh, float* dg, std::size_t count);

/// LSTM, from the saved activations `a` [B, 4H], cp and c [B, H], with tc = tanh(c):
///   dc = dc_next + dh * o * (1 - tc^2),
///   dG = [dc g i(1-i), dc cp f(1-f), dc i (1-g^2), dh tc o(1-o)],
/// and dc_next becomes dc * f (the gradient flowing to the earlier step's c).
void lstm_backward_step(const float* a, const float* cp, const float* c, const float* dh,
                        float* dc_next, float* dg, std::size_t B, std::size_t H);

/// GRU, from the saved [r, z, n, gh_n] rows `s`, hp and the incoming dh:
///   dn_pre = dh (1 - z)(1 - n^2), dr_pre = dn_pre gh_n r(1-r), dz_pre = dh (hp - n) z(1-z),
///   dgh = [dr_pre, dz_pre, dn_pre r] (for W_hh, b_hh and hp), dgx = [dr_pre, dz_pre, dn_pre].
/// On exit dh holds its direct part to hp, dh * z.
void gru_backward_step(const float* s, const float* hp, float* dh, float* dgh, float* dgx,
                       std::size_t B, std::size_t H);

}  // namespace recur::nn::detail
