// Snippet for docs/debugging.md: anomaly mode names the first op that made a NaN.
#include <recur/recur.hpp>

#include <cstdio>
#include <string>

int main() {
  recur::Tape tape;
  recur::Parameter w(recur::Tensor{{1.0f, -2.0f}});
  std::string message;
  //! [anomaly mode]
  try {
    recur::AnomalyModeGuard anomaly;              // this thread, this scope
    recur::ModuleScope scope("head");             // modules open one in their call operator
    recur::Var x = tape.input(recur::Tensor{{1.0f, 1.0f}});
    recur::Var y = recur::log(recur::mul(x, tape.parameter(w)));  // log(-2) = NaN
    tape.backward(recur::sum(y));
  } catch (const recur::AnomalyError& error) {
    message = error.what();
    // anomaly: 'log' in module 'head' produced NaN in its output [1, 2] (first at element 1)
    // from inputs of shapes [1, 2]
  }
  //! [anomaly mode]
  std::printf("%s\n", message.c_str());
  return message.find("'log' in module 'head' produced NaN") != std::string::npos ? 0 : 1;
}
