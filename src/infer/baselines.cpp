#include "flex/infer/baselines.hpp"

namespace flex::infer {

const std::vector<std::string>& baseline_names(Task task) {
  static const std::vector<std::string> sr = {"bicubic_aligned", "conditioning", "bicubic_align_corners"};
  static const std::vector<std::string> fc = {"persistence"};
  return task == Task::SuperResolution ? sr : fc;
}

}  // namespace flex::infer
