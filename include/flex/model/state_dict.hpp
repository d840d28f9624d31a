// Checkpoints in PyTorch's own format: a `torch.save`d dict name -> tensor
// (zip archive), which the reference code writes with
// torch.save(module.state_dict(), path) and reads with torch.load. Names are
// the module's parameters and buffers, in PyTorch's state_dict order.
#pragma once

#include <torch/nn/module.h>

#include <string>
#include <utility>
#include <vector>

namespace flex::model {

using StateDict = std::vector<std::pair<std::string, torch::Tensor>>;

// Parameters and buffers of `module` in PyTorch's state_dict order (per
// module, pre-order: its parameters, then its buffers). Tensors alias the module's.
StateDict state_dict(const torch::nn::Module& module);

// Reads a torch.save'd dict of tensors (zip format, or LibTorch's
// pickle_save output). An optional `prefix` keeps only keys starting with it,
// with the prefix removed. Errors name the file.
StateDict read_state_dict(const std::string& path, const std::string& prefix = "");

struct LoadReport {
  std::vector<std::string> loaded, missing, unexpected;
};

// Copies `source` into the module's parameters and buffers (any dtype and
// device; converted to the module's). strict: every module key must be
// present and every source key used, else an InputError listing them, naming
// `origin`. A shape mismatch is always an error naming the key and both shapes.
LoadReport load_state_dict(torch::nn::Module& module, const StateDict& source, const std::string& origin,
                           bool strict = true);

// read_state_dict + load_state_dict.
LoadReport load_checkpoint(torch::nn::Module& module, const std::string& path, bool strict = true);

// Writes the module's state dict so that torch.load (Python) and
// read_state_dict read it: tensors copied to CPU, written under a temporary
// name and renamed into place; an existing file is an error unless overwrite.
void save_checkpoint(const torch::nn::Module& module, const std::string& path, bool overwrite);
void save_state_dict(const StateDict& dict, const std::string& path, bool overwrite);

}  // namespace flex::model
