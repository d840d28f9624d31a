// Numerical parity with the authors' reference implementation: a state dict
// saved by it (torch.save) plus an HDF5 fixture of its inputs and outputs
// (tests/fixtures/README.md). flex must reproduce the network
// output for both tasks and the 2-step DDIM sample to float32 round-off.
#pragma once

#include <c10/core/Device.h>

#include <string>
#include <vector>

#include "flex/model/compute.hpp"
#include "flex/model/config.hpp"

namespace flex::diffusion {

struct ParityItem {
  std::string name;     // fixture dataset compared
  double max_abs_diff;  // max |ours - reference|
  double ref_std;       // std of the reference field
  double relative() const { return ref_std > 0 ? max_abs_diff / ref_std : max_abs_diff; }
};

struct ParityResult {
  model::FlexConfig config;
  std::vector<ParityItem> items;
  double tolerance = 1e-4;  // on relative(): kFp32Tolerance or kReducedPrecisionTolerance
  bool passed() const;
};

// Network configuration from the fixture's attributes (img, channels, blocks,
// depth, heads) and dataset shapes (channels, frames, conditioning scalars);
// the tasks are those the fixture has outputs for (v_sr, v_fc).
model::FlexConfig fixture_config(const std::string& fixture);

// Loads `checkpoint` into the fixture's configuration (strict: every name
// must match), runs the network in eval mode on `device`, and compares
// v_sr, v_fc, sample_sr_2steps and the schedule quantities (logsnr, alpha,
// sigma, z_from_r, v_target) where the fixture has them.
// Under run.precision = bf16 the network (not the sampler or the schedule)
// runs in bf16 and is held to kReducedPrecisionTolerance = 30 u, u = 2^-9 the
// bf16 unit round-off: the output's RMS error is a few u (measured 3-4 u on
// FLEX-tiny), and the largest of its ~10^4 elements lies 4-5 RMS out.
constexpr double kFp32Tolerance = 1e-4;
constexpr double kReducedPrecisionTolerance = 30.0 / 512;
ParityResult run_parity(const std::string& checkpoint, const std::string& fixture, const c10::Device& device,
                        model::Precision precision = model::Precision::FP32,
                        model::MemoryLayout layout = model::MemoryLayout::NCHW);

}  // namespace flex::diffusion
