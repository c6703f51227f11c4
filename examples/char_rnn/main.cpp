// char_rnn: a character-level LSTM language model (bytes in, the next byte out), trained with
// truncated backpropagation through time, in the spirit of Karpathy's char-rnn.
//
//   char_rnn train                                  # the shipped text, 600 steps, ~3 minutes
//   char_rnn train --text book.txt --steps 5000 --hidden 256 --layers 2
//   char_rnn train --resume char_rnn_out/checkpoint.npz --steps 4000
//   char_rnn sample --checkpoint char_rnn_out/checkpoint.npz --temperature 0.7 --prompt "Alice "
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>

#include "char_rnn.hpp"

int main(int argc, char** argv) {
  CLI::App app{"A character-level LSTM: train on a text, then sample from it"};
  app.require_subcommand(1);

  char_rnn::TrainOptions train{.text_path = CHAR_RNN_DEFAULT_TEXT};
  CLI::App* train_command = app.add_subcommand("train", "Train (or resume) on a text file");
  train_command->add_option("--text", train.text_path, "The text to learn")->capture_default_str();
  train_command->add_option("--out-dir", train.out_dir, "Where checkpoint.npz and the losses go")
      ->capture_default_str();
  train_command->add_option("--resume", train.resume, "Continue from this checkpoint");
  train_command->add_option("--steps", train.steps, "Total training steps")->capture_default_str();
  train_command->add_option("--batch", train.batch, "Streams read side by side")
      ->check(CLI::PositiveNumber)->capture_default_str();
  train_command->add_option("--chunk", train.chunk, "Steps of truncated BPTT")
      ->check(CLI::PositiveNumber)->capture_default_str();
  train_command->add_option("--embedding", train.shape.embedding, "Embedding size")
      ->check(CLI::PositiveNumber)->capture_default_str();
  train_command->add_option("--hidden", train.shape.hidden, "LSTM hidden size")
      ->check(CLI::PositiveNumber)->capture_default_str();
  train_command->add_option("--layers", train.shape.layers, "LSTM layers")
      ->check(CLI::PositiveNumber)->capture_default_str();
  train_command->add_option("--lr", train.lr, "Adam's learning rate")
      ->check(CLI::PositiveNumber)->capture_default_str();
  train_command->add_option("--clip", train.clip, "Max gradient norm")
      ->check(CLI::PositiveNumber)->capture_default_str();
  train_command->add_option("--eval-every", train.eval_every,
                            "Steps between validation, sample and checkpoint")
      ->check(CLI::PositiveNumber)->capture_default_str();
  train_command->add_option("--sample-length", train.sample_length, "Bytes per sample shown")
      ->capture_default_str();
  train_command->add_option("--temperature", train.temperature, "Of the samples shown")
      ->check(CLI::PositiveNumber)->capture_default_str();
  train_command->add_option("--seed", train.seed, "Initialisation and sampling")
      ->capture_default_str();

  char_rnn::SampleOptions sample;
  CLI::App* sample_command = app.add_subcommand("sample", "Continue a prompt from a checkpoint");
  sample_command->add_option("--checkpoint", sample.checkpoint, "Written by train")->required();
  sample_command->add_option("--temperature", sample.temperature, "Below 1 sharper, above 1 wilder")
      ->check(CLI::PositiveNumber)->capture_default_str();
  sample_command->add_option("--prompt", sample.prompt, "The text to continue")->capture_default_str();
  sample_command->add_option("--length", sample.length, "Bytes to generate")->capture_default_str();
  sample_command->add_option("--seed", sample.seed, "Of the sampling")->capture_default_str();

  CLI11_PARSE(app, argc, argv);
  try {
    if (*train_command) char_rnn::train(train);
    if (*sample_command) char_rnn::sample(sample);
  } catch (const std::exception& error) {
    // One line, whatever went wrong: a missing or damaged file, a checkpoint of another model.
    std::string message = error.what();
    for (char& c : message)
      if (c == '\n' || c == '\r') c = ' ';
    std::cerr << "char_rnn: error: " << message << "\n";
    return 1;
  }
  return 0;
}
