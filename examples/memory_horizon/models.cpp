#include "models.hpp"

#include <type_traits>

#include "autograd/no_grad.hpp"
#include "autograd/ops/elementwise.hpp"
#include "autograd/ops/shape_ops.hpp"
#include "core/error.hpp"
#include "task.hpp"

namespace recur::examples {

namespace {

nn::EmbeddingOptions embedding_options(const ModelOptions& options) {
  return {.num_embeddings = options.vocabulary, .embedding_dim = options.embedding};
}

}  // namespace

std::string model_name(ModelKind kind) {
  switch (kind) {
    case ModelKind::lstm: return "lstm";
    case ModelKind::gru: return "gru";
    case ModelKind::rnn: return "rnn";
    case ModelKind::baseline: return "baseline";
  }
  return "?";
}

ModelKind parse_model(const std::string& name) {
  for (ModelKind kind : {ModelKind::lstm, ModelKind::gru, ModelKind::rnn, ModelKind::baseline})
    if (model_name(kind) == name) return kind;
  throw ValueError("unknown model '" + name + "' (expected lstm, gru, rnn or baseline)");
}

// The layers are built in the order embedding, head, recurrent layer (the order their weights are
// drawn from the generator), and named in the order embedding, rnn, head (PyTorch's attributes).
RecurrentClassifier::RecurrentClassifier(const ModelOptions& options)
    : options_(options),
      embedding_(register_module("embedding", nn::Embedding(embedding_options(options)))) {
  auto head = std::make_unique<nn::Linear>(
      nn::LinearOptions{.in_features = options.hidden, .out_features = options.classes});
  switch (options.kind) {
    case ModelKind::lstm:
      use(nn::LSTM({.input_size = options.embedding,
                    .hidden_size = options.hidden,
                    .forget_bias = options.forget_bias}));
      break;
    case ModelKind::gru:
      use(nn::GRU({.input_size = options.embedding, .hidden_size = options.hidden}));
      break;
    case ModelKind::rnn:
      use(nn::RNN({.input_size = options.embedding, .hidden_size = options.hidden}));
      break;
    case ModelKind::baseline:
      throw ValueError("RecurrentClassifier: the baseline is not recurrent");
  }
  head_ = &register_module("head", std::move(head));
}

Var RecurrentClassifier::embed(Tape& tape, const IndexTensor& tokens) {
  return embedding_(tape, tokens);
}

template <class Layer>
void RecurrentClassifier::use(Layer layer) {
  Layer& registered = register_module("rnn", std::move(layer));
  using States = std::array<Var, cell::kMaxStates>;
  if constexpr (std::is_same_v<Layer, nn::LSTM>) {
    run_ = [&registered](const Var& x, const States& initial) {
      const nn::LSTMResult r = registered(x, nn::LSTMState{initial[0], initial[1]});
      return States{r.state.h, r.state.c};
    };
  } else if constexpr (std::is_same_v<Layer, nn::GRU> || std::is_same_v<Layer, nn::RNN>) {
    run_ = [&registered](const Var& x, const States& initial) {
      return States{registered(x, initial[0]).h_n};
    };
  } else {  // a cell declared on the engine: nn::Recurrent<Cell>
    run_ = [&registered](const Var& x, const States& initial) {
      return registered(x, initial).states;
    };
  }
}

Var RecurrentClassifier::last_hidden(const Var& embedded, const StreamState& state,
                                     StreamState* final_state) {
  // h_n is [1, B, H] for one layer and direction; its only slice is the last step's h.
  const std::array<Var, cell::kMaxStates> states = run_(embedded, state.states);
  if (final_state) final_state->states = states;
  return select(states[0], 0, 0);
}

Var RecurrentClassifier::logits_from_embeddings(const Var& embedded) {
  return (*head_)(last_hidden(embedded, {}, nullptr));
}

Var RecurrentClassifier::logits(Tape& tape, const IndexTensor& tokens) {
  return logits_from_embeddings(embed(tape, tokens));
}

StreamState RecurrentClassifier::read_chunk(Tape& tape, const IndexTensor& tokens,
                                            const StreamState& state, Var* logits) {
  StreamState next;
  const Var h = last_hidden(embed(tape, tokens), state, &next);
  if (logits) *logits = (*head_)(h);
  return next;
}

WindowBaseline::WindowBaseline(const ModelOptions& options)
    : options_(options),
      embedding_(register_module("embedding", nn::Embedding(embedding_options(options)))),
      hidden_(register_module("hidden",
                              nn::Linear({.in_features = options.window * options.embedding,
                                          .out_features = options.hidden}))),
      head_(register_module("head", nn::Linear({.in_features = options.hidden,
                                                .out_features = options.classes}))) {}

Var WindowBaseline::embed(Tape& tape, const IndexTensor& tokens) {
  // Only the last `window` tokens exist for the baseline.
  const TaskOptions task{.keys = options_.classes,
                         .noise_tokens = options_.vocabulary - options_.classes - 1};
  return embedding_(tape, last_tokens(task, tokens, options_.window));
}

Var WindowBaseline::logits_from_embeddings(const Var& embedded) {
  // embedded [W, B, E] -> [B, W * E]: put batch first, then flatten the window.
  const std::size_t batch = embedded.dim(1);
  const Var flat = reshape(transpose(embedded, 0, 1), {batch, options_.window * options_.embedding});
  return head_(relu(hidden_(flat)));
}

Var WindowBaseline::logits(Tape& tape, const IndexTensor& tokens) {
  return logits_from_embeddings(embed(tape, tokens));
}

std::unique_ptr<SequenceClassifier> make_model(const ModelOptions& options) {
  if (options.kind == ModelKind::baseline) return std::make_unique<WindowBaseline>(options);
  return std::make_unique<RecurrentClassifier>(options);
}

}  // namespace recur::examples
