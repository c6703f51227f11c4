// The character model: bytes -> Embedding -> LSTM -> Linear -> logits over the 256 byte values.
// Working on bytes needs no vocabulary file: any text (UTF-8 included) is a byte stream, and a
// checkpoint alone is enough to rebuild the model.
#pragma once

#include <memory>
#include <string>

#include <recur/recur.hpp>

namespace char_rnn {

/// Bytes, the model's classes.
constexpr std::size_t kVocabulary = 256;

/// The model's sizes.
struct ModelShape {
  std::size_t embedding = 32;  ///< E, features per byte
  std::size_t hidden = 128;    ///< H, the LSTM's state
  std::size_t layers = 1;      ///< stacked LSTM layers
};

/// embed [256, E] -> lstm (E -> H, L layers) -> head [256, H], with PyTorch's names
/// (`embed.weight`, `lstm.weight_ih_l0`, `head.weight`...).
class CharModel : public recur::nn::Module {
 public:
  /// A model with fresh weights (from recur::default_generator()).
  explicit CharModel(const ModelShape& shape);

  /// tokens [T, B] from `state` -> logits [T*B, 256] (row t*B + b) and the final state.
  recur::Var forward(recur::Tape& tape, const recur::IndexTensor& tokens,
                     recur::nn::LSTMState& state);

  /// The sizes the model was built with.
  const ModelShape& shape() const { return shape_; }

 private:
  ModelShape shape_;
  recur::nn::Embedding& embed_;
  recur::nn::LSTM& lstm_;
  recur::nn::Linear& head_;
};

/// The model's sizes read from the shapes of a checkpoint's `model.*` entries. Throws
/// recur::IoError (one line, naming the path) when the file is missing, damaged or not a
/// char_rnn checkpoint.
ModelShape read_model_shape(const std::string& checkpoint_path);

/// A model rebuilt from a checkpoint: its sizes from the entries' shapes, then its weights.
/// Throws recur::IoError naming the path when the file is missing, damaged or does not fit.
std::unique_ptr<CharModel> load_model(const std::string& checkpoint_path);

/// A state of `shape` with batch B, zeros; as values to enter on the next chunk's tape.
struct StateValues {
  recur::Tensor h;  ///< [L, B, H]
  recur::Tensor c;  ///< [L, B, H]
};
/// Zero state for `batch` streams.
StateValues zero_state(const ModelShape& shape, std::size_t batch);

}  // namespace char_rnn
