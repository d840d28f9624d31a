// The run.* keys every subcommand shares, read once into a plain struct that
// each job's own config carries (as `run`).
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace flex {
class Deck;
class DeckSchema;

struct RunSettings {
  std::uint64_t seed = 1234;            // every random stream of the run derives from it
  std::string output_dir = "flex-output";
  bool overwrite = false;               // replace existing outputs
  long threads = 0;                     // LibTorch/OpenMP threads per rank; 0: the environment's
  std::string device = "cpu";           // cpu | cuda
  std::string precision = "fp32";       // fp32 | bf16 | fp16: the network's arithmetic (autocast)
  std::string memory_format = "auto";   // auto | nchw | nhwc: the activations' layout
  bool profile = true;                  // print the region timer table at exit
  bool quiet = false;                   // no informational output on rank 0
  bool check_finite = true;             // scan the input ranges a run reads for NaN/Inf first
  std::string deck_source = "<defaults>";  // the deck file, for messages
  std::string deck_text;                // the resolved deck, written beside outputs
  std::map<std::string, std::string> origins;  // key -> where its value came from

  // "<deck file | command line | ... (default)>: key '<key>'": how every
  // message about one key's value starts, so it blames the right source.
  std::string about(const std::string& key) const;
};

void declare_run_keys(DeckSchema& schema);
RunSettings read_run_settings(const Deck& deck);

}  // namespace flex
