// A small sequence model and its training step, shared by the data-parallel tests: an LSTM and a
// linear head classify every step of [T, B, I] inputs with cross-entropy and Adam.
#pragma once

#include <algorithm>
#include <cmath>
#include <string>

#include <boost/test/unit_test.hpp>

#include "autograd/ops/losses.hpp"
#include "autograd/ops/shape_ops.hpp"
#include "autograd/tape.hpp"
#include "core/random.hpp"
#include "distributed/distributed.hpp"
#include "layers/linear.hpp"
#include "layers/lstm.hpp"
#include "optim/adam.hpp"
#include "optim/clip.hpp"

namespace recur::test {

constexpr std::size_t kTime = 6, kInput = 5, kHidden = 12, kClasses = 4;

struct SequenceTagger : nn::Module {
  nn::LSTM lstm{{.input_size = kInput, .hidden_size = kHidden}};
  nn::Linear head{{.in_features = kHidden, .out_features = kClasses}};
  SequenceTagger() {
    register_module("lstm", lstm);
    register_module("head", head);
  }
};

// One global batch of `batch` sequences: inputs [T, batch, I], a class per step [T, batch].
struct GlobalBatch {
  Tensor inputs;
  IndexTensor targets;
};

inline GlobalBatch draw_batch(Generator& data, std::size_t batch) {
  GlobalBatch out{data.normal({kTime, batch, kInput}, 0.0f, 1.0f),
                  IndexTensor::from_shape({kTime, batch})};
  for (auto& target : out.targets) target = static_cast<std::int64_t>(data.below(kClasses));
  return out;
}

// One step on the sequences [part.begin, part.end) of `batch`: forward, backward, the average
// over the ranks (when `averager` is given, weighted by the shard's size), clipping, Adam.
// Returns the shard's mean loss.
inline double train_step(SequenceTagger& model, optim::Adam& adam, Tape& tape,
                         const GlobalBatch& batch, distributed::Shard part,
                         distributed::GradientAverager* averager) {
  const Tensor inputs = distributed::take_shard(batch.inputs, 1, part);
  IndexTensor targets = distributed::take_shard(batch.targets, 1, part);
  targets.reshape({kTime * part.size()});  // row t*b + j, as the reshaped output
  tape.clear();
  adam.zero_grad();
  const Var output = model.lstm(tape.input(inputs)).output;  // [T, b, H]
  const Var logits = model.head(reshape(output, {kTime * part.size(), kHidden}));
  const Var loss = cross_entropy(logits, targets);
  tape.backward(loss);
  if (averager) averager->average(static_cast<double>(part.size()));
  optim::clip_grad_norm(model.parameters(), 1.0);
  adam.step();
  return loss.value()();
}

// The largest |a - b| over every parameter of two models of the same shape.
inline double max_parameter_difference(SequenceTagger& a, SequenceTagger& b) {
  const auto pa = a.named_parameters(), pb = b.named_parameters();
  BOOST_REQUIRE_EQUAL(pa.size(), pb.size());
  double worst = 0;
  for (std::size_t i = 0; i < pa.size(); ++i) {
    const Tensor& x = pa[i].second->value;
    const Tensor& y = pb[i].second->value;
    BOOST_REQUIRE_EQUAL(x.size(), y.size());
    for (std::size_t k = 0; k < x.size(); ++k)
      worst = std::max(worst, static_cast<double>(std::abs(x.data()[k] - y.data()[k])));
  }
  return worst;
}

}  // namespace recur::test
