#include "char_model.hpp"

#include <set>

namespace char_rnn {

CharModel::CharModel(const ModelShape& shape)
    : shape_(shape),
      embed_(register_module("embed", recur::nn::Embedding({.num_embeddings = kVocabulary,
                                                            .embedding_dim = shape.embedding}))),
      lstm_(register_module("lstm", recur::nn::LSTM({.input_size = shape.embedding,
                                                     .hidden_size = shape.hidden,
                                                     .num_layers = shape.layers}))),
      head_(register_module("head", recur::nn::Linear({.in_features = shape.hidden,
                                                        .out_features = kVocabulary}))) {}

// tokens [T, B] -> embed [T, B, E] -> lstm [T, B, H] -> [T*B, H] -> head [T*B, 256]
recur::Var CharModel::forward(recur::Tape& tape, const recur::IndexTensor& tokens,
                              recur::nn::LSTMState& state) {
  const std::size_t steps = tokens.shape()[0], batch = tokens.shape()[1];
  const recur::Var x = embed_(tape, tokens);
  recur::nn::LSTMResult result = lstm_(x, state);
  state = result.state;
  return head_(recur::reshape(result.output, {steps * batch, shape_.hidden}));
}

namespace {

ModelShape shape_of(const recur::NpzEntries& entries, const std::string& checkpoint_path) {
  ModelShape shape{.embedding = 0, .hidden = 0, .layers = 0};
  std::set<std::string> layers;
  for (const auto& [name, array] : entries) {
    if (name == "model.embed.weight" && array.shape.size() == 2) shape.embedding = array.shape[1];
    if (name == "model.lstm.weight_hh_l0" && array.shape.size() == 2) shape.hidden = array.shape[1];
    if (name.rfind("model.lstm.weight_ih_l", 0) == 0) layers.insert(name);
  }
  shape.layers = layers.size();
  if (shape.embedding == 0 || shape.hidden == 0 || shape.layers == 0)
    throw recur::IoError(checkpoint_path +
                         " is not a char_rnn checkpoint (no model.embed.weight / "
                         "model.lstm.weight_hh_l0 entries)");
  return shape;
}

}  // namespace

ModelShape read_model_shape(const std::string& checkpoint_path) {
  return shape_of(recur::load_npz(checkpoint_path), checkpoint_path);  // IoError if damaged
}

std::unique_ptr<CharModel> load_model(const std::string& checkpoint_path) {
  const recur::NpzEntries entries = recur::load_npz(checkpoint_path);
  auto model = std::make_unique<CharModel>(shape_of(entries, checkpoint_path));
  // The checkpoint also holds the optimiser's state and the step: keep the `model.` entries.
  recur::NpzEntries weights;
  for (const auto& [name, array] : entries)
    if (name.rfind("model.", 0) == 0) weights.emplace_back(name.substr(6), array);
  recur::nn::load_state_dict(*model, weights, checkpoint_path + ": model");
  return model;
}

StateValues zero_state(const ModelShape& shape, std::size_t batch) {
  return {recur::zeros({shape.layers, batch, shape.hidden}),
          recur::zeros({shape.layers, batch, shape.hidden})};
}

}  // namespace char_rnn
