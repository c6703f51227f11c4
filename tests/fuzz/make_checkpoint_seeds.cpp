// Writes the seed corpus of the load_checkpoint fuzz target with the library itself:
//   build-fuzz/make_checkpoint_seeds tests/fuzz/corpus/load_checkpoint
// The entries of checkpoints of the fuzz target's run at step 0 (no optimiser buffers yet) and
// after three steps, and of one holding the model alone (the optimiser, schedule and generator
// entries missing). Each is a few KiB; the fuzzer mutates from there.
#include <cstdio>
#include <fstream>
#include <string>

#include "checkpoint_run.hpp"
#include "core/npz.hpp"

namespace {

// Saves `parts` as a checkpoint, reads it back and writes its entries as a fuzz input.
void write_seed(const std::string& path, const recur::optim::CheckpointParts& parts,
                std::uint64_t step) {
  const std::string scratch = path + ".npz";
  recur::optim::save_checkpoint(scratch, parts, step);
  const std::vector<unsigned char> bytes = recur::fuzz::encode_entries(recur::load_npz(scratch));
  std::remove(scratch.c_str());
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                              static_cast<std::streamsize>(bytes.size()));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <corpus folder>\n", argv[0]);
    return 2;
  }
  const std::string folder = argv[1];
  using recur::fuzz::Run;
  {
    Run run;
    write_seed(folder + "/step0", run.parts(), 0);
  }
  {
    Run run;
    run.step(1.0);
    run.step(2.0);
    run.step(3.0);
    write_seed(folder + "/step3", run.parts(), 3);
    write_seed(folder + "/model_only", {.model = &run.model}, 3);
  }
  return 0;
}
