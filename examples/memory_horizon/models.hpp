// The models compared on the memory-horizon task: a recurrent classifier (LSTM, GRU or plain
// RNN) that reads the whole sequence, and a baseline that sees only the last few tokens. The
// attention model (a small causal transformer) is in attention_model.hpp.
#pragma once

#include <array>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "autograd/tape.hpp"
#include "layers/embedding.hpp"
#include "layers/gru.hpp"
#include "layers/linear.hpp"
#include "layers/lstm.hpp"
#include "layers/module.hpp"
#include "layers/rnn.hpp"

namespace recur::examples {

/// Which model: the built-in cells, the baseline, and the long-memory zoo (docs/recurrent_zoo).
enum class ModelKind {
  lstm, gru, rnn, baseline,
  lstm_chrono, peephole, cifg, layer_norm_lstm, indrnn, min_gru, min_lstm, cornn, slstm, lru, lmu,
  attention
};

/// Every model, in the order of the default sweep.
const std::vector<ModelKind>& all_models();

/// The model's name as the command line and the CSV spell it: "lstm", "gru", "rnn", "baseline",
/// "lstm-chrono", "peephole", "cifg", "lnlstm", "indrnn", "mingru", "minlstm", "cornn", "slstm",
/// "lru", "lmu", "attention" (a small causal transformer, attention_model.hpp).
std::string model_name(ModelKind kind);
/// The inverse of model_name(); throws recur::ValueError for an unknown name.
ModelKind parse_model(const std::string& name);

/// Sizes shared by every model, so the comparison is fair.
struct ModelOptions {
  ModelKind kind = ModelKind::lstm;
  std::size_t vocabulary = 17;   ///< Input tokens.
  std::size_t classes = 8;       ///< Output classes (the keys).
  std::size_t embedding = 16;    ///< Embedding width.
  std::size_t hidden = 64;       ///< Recurrent state or baseline hidden layer width.
  std::size_t window = 5;        ///< Tokens the baseline sees.
  float forget_bias = 0.0f;      ///< LSTM forget-gate bias at initialisation.
  /// The task's sequence length (gap + 2), set per run: the chrono initialisation's T_max and
  /// the LMU's window theta, so that the LMU's memory spans the whole sequence by construction.
  std::size_t sequence_length = 0;
  std::size_t lmu_memory = 32;   ///< The LMU's Legendre coefficients d.
  /// IndRNN's u drawn from [(1/2)^(1/T), 1] with T the sequence length, as the paper's code for
  /// its long-sequence (adding) experiments draws the last layer's, instead of the layer's
  /// default U(0, 1).
  bool indrnn_memory_init = false;
};

/// The recurrent state carried between chunks of a long stream: the layer's states after a
/// chunk, h first, each [1, B, H]; the cell's states beyond its own are empty.
struct StreamState {
  std::array<Var, cell::kMaxStates> states;
};

/// A classifier of token sequences [T, B] into one of `classes` at the last position.
class SequenceClassifier : public nn::Module {
 public:
  /// The logits [B, classes] at the last position of `tokens` [T, B].
  virtual Var logits(Tape& tape, const IndexTensor& tokens) = 0;
  /// The embeddings the model read for `tokens` [T, B, E] (for saliency: the gradient of a
  /// logit with respect to each input position), then the logits; recurrent models only.
  virtual Var logits_from_embeddings(const Var& embedded) = 0;
  /// The embeddings of `tokens`: [T, B, E].
  virtual Var embed(Tape& tape, const IndexTensor& tokens) = 0;
};

/// Embedding, one recurrent layer, and a linear head on the last step's hidden state.
class RecurrentClassifier : public SequenceClassifier {
 public:
  explicit RecurrentClassifier(const ModelOptions& options);
  Var logits(Tape& tape, const IndexTensor& tokens) override;
  Var logits_from_embeddings(const Var& embedded) override;
  Var embed(Tape& tape, const IndexTensor& tokens) override;
  /// Reads one chunk [T, B] of a stream starting from `state` (empty at the start) and returns
  /// the state after it; with `logits` set, also the logits at its last step.
  StreamState read_chunk(Tape& tape, const IndexTensor& tokens, const StreamState& state,
                         Var* logits = nullptr);

 private:
  // Runs the recurrent layer over embedded [T, B, E]; returns the last step's h [B, H].
  Var last_hidden(const Var& embedded, const StreamState& state, StreamState* final_state);

  // Registers `layer` as "rnn" and runs it through `run_`, whatever its result type.
  template <class Layer>
  void use(Layer layer);

  ModelOptions options_;
  nn::Embedding& embedding_;
  // The one recurrent layer, named "rnn": from the embeddings and the initial states (empty for
  // zeros) to the layer's states after the last step, h first.
  std::function<std::array<Var, cell::kMaxStates>(const Var&,
                                                  const std::array<Var, cell::kMaxStates>&)>
      run_;
  nn::Linear* head_ = nullptr;
};

/// The short-context baseline: an MLP over the concatenated embeddings of the last `window`
/// tokens. It sees the key exactly when the gap is shorter than its window.
class WindowBaseline : public SequenceClassifier {
 public:
  explicit WindowBaseline(const ModelOptions& options);
  Var logits(Tape& tape, const IndexTensor& tokens) override;
  Var logits_from_embeddings(const Var& embedded) override;
  Var embed(Tape& tape, const IndexTensor& tokens) override;

 private:
  ModelOptions options_;
  nn::Embedding& embedding_;
  nn::Linear& hidden_;
  nn::Linear& head_;
};

/// A fresh model of `options.kind`, initialised from recur::default_generator().
std::unique_ptr<SequenceClassifier> make_model(const ModelOptions& options);

}  // namespace recur::examples
