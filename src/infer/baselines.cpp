#include "flex/infer/baselines.hpp"

#include <torch/torch.h>

#include "flex/data/transforms.hpp"

namespace flex::infer {

const std::vector<std::string>& baseline_names(Task task) {
  static const std::vector<std::string> sr = {"bicubic_aligned", "conditioning", "bicubic_align_corners"};
  static const std::vector<std::string> fc = {"persistence"};
  return task == Task::SuperResolution ? sr : fc;
}

at::Tensor sr_baselines(const at::Tensor& coarse, const at::Tensor& conditioning, std::int64_t factor,
                        io::Periodicity wraps) {
  return torch::stack({data::upsample_bicubic_aligned(coarse, factor, wraps), conditioning,
                       data::upsample_bicubic_align_corners(coarse, factor)});
}

}  // namespace flex::infer
