// Activation checkpointing (Chen et al. 2016, "Training deep nets with
// sublinear memory cost"; torch.utils.checkpoint's reentrant variant): a
// block's forward runs without recording its intermediate activations, and
// backward runs it again, with gradients on, to back-propagate through it.
// Training memory then holds each block's inputs instead of all its
// activations, for about one more forward of the blocks in time.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <functional>
#include <vector>

namespace torch::nn {
class Module;
}

namespace flex::model {

using BlockBody = std::function<at::Tensor(const std::vector<at::Tensor>& inputs)>;

// Inputs must be defined tensors. body(inputs), with its activations recomputed in backward. The replay sees
// the same random state (dropout masks) and autocast state as the forward,
// so gradients equal those of body(inputs) itself. Parameters the body uses
// receive their gradients as in an ordinary backward. When no input needs a
// gradient (nothing would call the replay), it is body(inputs) itself.
at::Tensor recomputed_in_backward(const BlockBody& body, const std::vector<at::Tensor>& inputs);

// Whether a block with checkpointing switched on should use it now: while
// training with gradients recorded (not in evaluation or sampling).
bool recompute_active(bool enabled, bool training);

// Switches checkpointing on or off for every ResBlock and transformer block
// of `network` (train.activation_checkpointing); returns how many there are.
std::int64_t set_activation_checkpointing(torch::nn::Module& network, bool on);

}  // namespace flex::model
