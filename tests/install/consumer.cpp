// Links the installed library and checks one gradient through it.
#include <recur/recur.hpp>

int main() {
  recur::Tape tape;
  recur::Var x = tape.input(recur::full({1, 1}, 3.0f), true);
  tape.backward(recur::mul(x, x), recur::full({1, 1}, 1.0f));
  return x.grad()(0, 0) == 6.0f ? 0 : 1;   // d(x^2)/dx = 2x
}
