#include <cmath>
#include <iostream>
#include <vector>

#include "char_rnn.hpp"

namespace char_rnn {

std::string generate(CharModel& model, const std::string& prompt, std::size_t length,
                     double temperature, recur::Generator& generator) {
  recur::NoGradGuard no_grad;  // inference: values only
  recur::Tape tape;
  StateValues state = zero_state(model.shape(), 1);
  std::string fed = prompt.empty() ? std::string("\n") : prompt;
  std::string out;
  while (out.size() < length) {
    // Feed what is new (the prompt, then the last byte), carrying the state as values.
    recur::IndexTensor tokens = recur::IndexTensor::from_shape({fed.size(), 1});
    for (std::size_t t = 0; t < fed.size(); ++t) tokens(t, 0) = static_cast<unsigned char>(fed[t]);
    tape.clear();
    recur::nn::LSTMState lstm_state{tape.input(state.h), tape.input(state.c)};
    const recur::Var logits = model.forward(tape, tokens, lstm_state);  // [P, 256]
    state = {lstm_state.h.value(), lstm_state.c.value()};

    // Draw from softmax(logits / temperature) of the last step.
    const recur::Tensor& values = logits.value();
    const std::size_t last = values.shape()[0] - 1;
    std::vector<double> weights(kVocabulary);
    double top = -INFINITY, total = 0;
    for (std::size_t v = 0; v < kVocabulary; ++v) top = std::max(top, double(values(last, v)));
    for (std::size_t v = 0; v < kVocabulary; ++v)
      total += weights[v] = std::exp((values(last, v) - top) / temperature);
    double u = generator.next_float() * total;
    std::size_t pick = 0;
    while (pick + 1 < kVocabulary && u >= weights[pick]) u -= weights[pick++];
    out.push_back(static_cast<char>(pick));
    fed.assign(1, static_cast<char>(pick));
  }
  return out;
}

void sample(const SampleOptions& options) {
  std::unique_ptr<CharModel> model = load_model(options.checkpoint);
  recur::Generator generator(options.seed);
  std::cout << options.prompt
            << generate(*model, options.prompt, options.length, options.temperature, generator)
            << "\n";
}

}  // namespace char_rnn
