// The two commands of char_rnn: train (with checkpoints and resuming) and sample.
#pragma once

#include <string>

#include "char_model.hpp"

namespace char_rnn {

/// Options of `char_rnn train`.
struct TrainOptions {
  std::string text_path;                   ///< the text to learn (bytes)
  std::string out_dir = "char_rnn_out";    ///< checkpoint.npz, losses.csv and the plot
  std::string resume;                      ///< a checkpoint to continue from; empty: a fresh run
  std::size_t steps = 600;                 ///< total training steps (a resumed run stops here too)
  std::size_t batch = 32;                  ///< B, parallel streams through the text
  std::size_t chunk = 64;                  ///< T, steps of truncated BPTT
  ModelShape shape;                        ///< sizes of a fresh model
  double lr = 3e-3;                        ///< Adam's learning rate
  double clip = 1.0;                       ///< max gradient norm
  std::size_t eval_every = 100;            ///< steps between validation, sample and checkpoint
  std::size_t sample_length = 200;         ///< bytes of each sample shown while training
  double temperature = 0.8;                ///< of those samples
  std::uint64_t seed = 1;                  ///< initialisation and sampling
};

/// Trains (or resumes) and writes `out_dir/checkpoint.npz`, `losses.csv` and `losses.png/svg`.
/// Throws a recur::Error for a missing or too short text or a bad checkpoint.
void train(const TrainOptions& options);

/// Options of `char_rnn sample`.
struct SampleOptions {
  std::string checkpoint;          ///< written by train
  double temperature = 0.8;        ///< < 1 sharpens the distribution, > 1 flattens it
  std::string prompt = "Alice ";   ///< the text to continue
  std::size_t length = 400;        ///< bytes to generate
  std::uint64_t seed = 1;          ///< of the sampling
};

/// Continues `prompt` by `length` bytes drawn from `model` at `temperature`.
std::string generate(CharModel& model, const std::string& prompt, std::size_t length,
                     double temperature, recur::Generator& generator);

/// Loads the checkpoint and prints the prompt and its continuation.
void sample(const SampleOptions& options);

}  // namespace char_rnn
