#include "models.hpp"

#include "attention_model.hpp"
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
    case ModelKind::attention: return "attention";
  }
  return "?";
}

ModelKind parse_model(const std::string& name) {
  if (name == model_name(ModelKind::attention)) return ModelKind::attention;
  for (ModelKind kind : {ModelKind::lstm, ModelKind::gru, ModelKind::rnn, ModelKind::baseline})
    if (model_name(kind) == name) return kind;
  throw ValueError("unknown model '" + name +
                   "' (expected lstm, gru, rnn, baseline or attention)");
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
      lstm_ = &register_module("rnn", nn::LSTM({.input_size = options.embedding,
                                                .hidden_size = options.hidden,
                                                .forget_bias = options.forget_bias}));
      break;
    case ModelKind::gru:
      gru_ = &register_module(
          "rnn", nn::GRU({.input_size = options.embedding, .hidden_size = options.hidden}));
      break;
    case ModelKind::rnn:
      rnn_ = &register_module(
          "rnn", nn::RNN({.input_size = options.embedding, .hidden_size = options.hidden}));
      break;
    case ModelKind::attention:
    case ModelKind::baseline:
      throw ValueError("RecurrentClassifier: the " + model_name(options.kind) +
                       " is not recurrent");
  }
  head_ = &register_module("head", std::move(head));
}

Var RecurrentClassifier::embed(Tape& tape, const IndexTensor& tokens) {
  return embedding_(tape, tokens);
}

Var RecurrentClassifier::last_hidden(const Var& embedded, const StreamState& state,
                                     StreamState* final_state) {
  // h_n is [1, B, H] for one layer and direction; its only slice is the last step's h.
  Var h_n, c_n;
  if (lstm_) {
    auto result = state.h.defined() ? (*lstm_)(embedded, nn::LSTMState{state.h, state.c})
                                    : (*lstm_)(embedded);
    h_n = result.state.h;
    c_n = result.state.c;
  } else if (gru_) {
    auto result = (*gru_)(embedded, state.h);
    h_n = result.h_n;
  } else {
    auto result = (*rnn_)(embedded, state.h);
    h_n = result.h_n;
  }
  if (final_state) *final_state = {h_n, c_n};
  return select(h_n, 0, 0);
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
  if (options.kind == ModelKind::attention) return std::make_unique<AttentionClassifier>(options);
  return std::make_unique<RecurrentClassifier>(options);
}

}  // namespace recur::examples
