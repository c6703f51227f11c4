#include "models.hpp"

#include <algorithm>
#include <cmath>
#include <type_traits>

#include "attention_model.hpp"
#include "autograd/no_grad.hpp"
#include "autograd/ops/elementwise.hpp"
#include "autograd/ops/shape_ops.hpp"
#include "core/error.hpp"
#include "layers/zoo/cifg_lstm.hpp"
#include "layers/zoo/cornn.hpp"
#include "layers/zoo/indrnn.hpp"
#include "layers/zoo/layer_norm_lstm.hpp"
#include "layers/zoo/lmu.hpp"
#include "layers/zoo/lru.hpp"
#include "layers/zoo/min_gru.hpp"
#include "layers/zoo/min_lstm.hpp"
#include "layers/zoo/peephole_lstm.hpp"
#include "layers/zoo/slstm.hpp"
#include "task.hpp"

namespace recur::examples {

namespace {

nn::EmbeddingOptions embedding_options(const ModelOptions& options) {
  return {.num_embeddings = options.vocabulary, .embedding_dim = options.embedding};
}

}  // namespace

namespace {

struct NamedModel {
  ModelKind kind;
  const char* name;
};

constexpr NamedModel kModels[] = {
    {ModelKind::lstm, "lstm"},          {ModelKind::gru, "gru"},
    {ModelKind::rnn, "rnn"},            {ModelKind::lstm_chrono, "lstm-chrono"},
    {ModelKind::peephole, "peephole"},  {ModelKind::cifg, "cifg"},
    {ModelKind::layer_norm_lstm, "lnlstm"}, {ModelKind::indrnn, "indrnn"},
    {ModelKind::min_gru, "mingru"},     {ModelKind::min_lstm, "minlstm"},
    {ModelKind::cornn, "cornn"},        {ModelKind::slstm, "slstm"},
    {ModelKind::lru, "lru"},            {ModelKind::lmu, "lmu"},
    {ModelKind::attention, "attention"}, {ModelKind::baseline, "baseline"},
};

}  // namespace

const std::vector<ModelKind>& all_models() {
  static const std::vector<ModelKind> models = [] {
    std::vector<ModelKind> kinds;
    for (const NamedModel& model : kModels) kinds.push_back(model.kind);
    return kinds;
  }();
  return models;
}

std::string model_name(ModelKind kind) {
  for (const NamedModel& model : kModels)
    if (model.kind == kind) return model.name;
  return "?";
}

ModelKind parse_model(const std::string& name) {
  std::string names;
  for (const NamedModel& model : kModels) {
    if (model.name == name) return model.kind;
    names += std::string(names.empty() ? "" : ", ") + model.name;
  }
  throw ValueError("unknown model '" + name + "' (expected one of " + names + ")");
}

// The layers are built in the order embedding, head, recurrent layer (the order their weights are
// drawn from the generator), and named in the order embedding, rnn, head (PyTorch's attributes).
RecurrentClassifier::RecurrentClassifier(const ModelOptions& options)
    : options_(options),
      embedding_(register_module("embedding", nn::Embedding(embedding_options(options)))) {
  auto head = std::make_unique<nn::Linear>(
      nn::LinearOptions{.in_features = options.hidden, .out_features = options.classes});
  const std::size_t in = options.embedding, hidden = options.hidden;
  const std::size_t length = std::max<std::size_t>(options.sequence_length, 2);
  switch (options.kind) {
    case ModelKind::lstm:
      use(nn::LSTM({.input_size = in, .hidden_size = hidden, .forget_bias = options.forget_bias}));
      break;
    case ModelKind::gru:
      use(nn::GRU({.input_size = in, .hidden_size = hidden}));
      break;
    case ModelKind::rnn:
      use(nn::RNN({.input_size = in, .hidden_size = hidden}));
      break;
    case ModelKind::lstm_chrono:
      use(nn::LSTM(
          {.input_size = in, .hidden_size = hidden, .chrono_init = static_cast<float>(length)}));
      break;
    case ModelKind::peephole:
      use(nn::PeepholeLSTM({.input_size = in, .hidden_size = hidden}));
      break;
    case ModelKind::cifg:
      use(nn::CIFGLSTM({.input_size = in, .hidden_size = hidden}));
      break;
    case ModelKind::layer_norm_lstm:
      use(nn::LayerNormLSTM({.input_size = in, .hidden_size = hidden}));
      break;
    case ModelKind::indrnn: {
      nn::IndRNNOptions indrnn{.input_size = in, .hidden_size = hidden};
      if (options.indrnn_memory_init)
        indrnn.recurrent_init_min =
            static_cast<float>(std::pow(0.5, 1.0 / static_cast<double>(length)));
      use(nn::IndRNN(indrnn));
      break;
    }
    case ModelKind::min_gru:
      use(nn::MinGRU({.input_size = in, .hidden_size = hidden}));
      break;
    case ModelKind::min_lstm:
      use(nn::MinLSTM({.input_size = in, .hidden_size = hidden}));
      break;
    case ModelKind::cornn:
      use(nn::CoRNN({.input_size = in, .hidden_size = hidden}));
      break;
    case ModelKind::slstm:
      use(nn::SLSTM({.input_size = in, .hidden_size = hidden}));
      break;
    case ModelKind::lru:
      // The head reads the real part of the state (width hidden), as it reads h elsewhere; the
      // LRU's own readout would give only `in` features.
      use(nn::LRU({.input_size = in, .state_size = hidden}));
      break;
    case ModelKind::lmu:
      use(nn::LMU({.input_size = in, .hidden_size = hidden, .memory_size = options.lmu_memory,
                   .theta = static_cast<float>(length)}));
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
  if (options.kind == ModelKind::attention) return std::make_unique<AttentionClassifier>(options);
  return std::make_unique<RecurrentClassifier>(options);
}

}  // namespace recur::examples
