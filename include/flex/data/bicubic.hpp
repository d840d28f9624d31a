// The bicubic upsamplings of SR (SPEC §3, baselines), by name: the
// conditioning, the aligned baseline and SuperBench's. A plain header: the
// configs that choose one need no tensor headers.
#pragma once

#include <string>

namespace flex::data {

enum class Bicubic { Conditioning, Aligned, AlignCorners };

// The SR conditioning a network is trained on (data.sr_upsampling,
// infer.sr_upsampling): "shifted", the authors' (Conditioning, what their
// checkpoints expect), or "aligned" (Aligned: the network then refines the
// honest baseline itself). Another word is a caller's error (the deck's
// choice check comes first).
Bicubic parse_sr_upsampling(const std::string& word);
const char* sr_upsampling_name(Bicubic kind);

}  // namespace flex::data
