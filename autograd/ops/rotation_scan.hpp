/// @file
/// The linear recurrence of a diagonal complex matrix, in real arithmetic, as one op over a
/// whole sequence: the recurrence of the LRU (recur::nn::LRU) and of diagonal state-space
/// models. Recorded step by step with elementwise ops it costs a dozen tape nodes per step;
/// as this op it is one node, a forward loop and a reverse loop.
/// @code
/// // x_t = lambda x_{t-1} + u_t for t = 0..T-1, x_{-1} = x0, complex lambda = a + ib per channel
/// recur::Var states = recur::rotation_scan(a, b, drive, x0);   // [T, B, 2N]: Re x | Im x
/// @endcode
#pragma once

#include "autograd/var.hpp"

namespace recur {

/// The sequence of states of x_t = λ ⊙ x_{t-1} + u_t, with λ_j = a_j + i b_j per channel j
/// and x, u complex: a row holds the N real parts, then the N imaginary parts, so that channel j
/// turns (Re, Im) by the 2x2 block [[a_j, -b_j], [b_j, a_j]]:
///   Re x_t = a ⊙ Re x_{t-1} - b ⊙ Im x_{t-1} + Re u_t
///   Im x_t = b ⊙ Re x_{t-1} + a ⊙ Im x_{t-1} + Im u_t
/// The gradients come from one reverse scan with the transposed blocks (the conjugate λ); those
/// of a and b are summed over steps and rows in double.
/// @param a, b The real and imaginary parts of λ, [N] each.
/// @param drive u, [T, B, 2N]. @param initial x_{-1}, [B, 2N]; an empty Var for zeros.
/// @return x_0 .. x_{T-1}, [T, B, 2N].
/// @throws recur::ShapeError naming the op and the shapes when they do not fit.
Var rotation_scan(const Var& a, const Var& b, const Var& drive, const Var& initial = Var());

}  // namespace recur
