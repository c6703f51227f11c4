// Snippet for docs/tape.md: a forward pass, backward, and the gradients it leaves.
#include <recur/recur.hpp>

#include <cmath>
#include <cstdio>

int main() {
  //! [tape basics]
  recur::Tape tape;
  recur::Parameter w(recur::Tensor{{0.5f, -1.0f}, {2.0f, 0.25f}});
  recur::Var x = tape.input(recur::Tensor{{1.0f, 2.0f}});            // [1, 2], data
  recur::Var h = recur::tanh(recur::matmul(x, tape.parameter(w)));  // [1, 2]
  recur::Var loss = recur::sum(recur::mul(h, h));
  tape.backward(loss);        // w.grad now holds d(loss)/dw
  const recur::Tensor& dh = h.grad();   // gradients of intermediate values are kept too
  tape.clear();               // next step: same buffers, new generation
  //! [tape basics]
  // d(loss)/dh = 2h, so the first element must agree with the forward value.
  std::printf("dh[0] = %f\n", dh(0, 0));
  return std::abs(dh(0, 0) - 2.0f * std::tanh(0.5f * 1.0f + 2.0f * 2.0f)) < 1e-5f ? 0 : 1;
}
