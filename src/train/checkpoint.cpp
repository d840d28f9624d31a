#include "flex/train/checkpoint.hpp"

#include <torch/torch.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iomanip>
#include <sstream>

#include "flex/core/error.hpp"

namespace fs = std::filesystem;

namespace flex::train {

void save_tensors(const std::string& path, const TensorMap& tensors) {
  torch::serialize::OutputArchive archive;
  for (const auto& [name, t] : tensors) archive.write(name, t.detach().cpu());
  archive.save_to(path);
}

TensorMap load_tensors(const std::string& path) {
  FLEX_REQUIRE(fs::exists(path), "checkpoint file " << path << " is missing");
  torch::serialize::InputArchive archive;
  archive.load_from(path);
  TensorMap out;
  for (const auto& key : archive.keys()) {
    at::Tensor t;
    archive.read(key, t);
    out[key] = t;
  }
  return out;
}

std::string checkpoint_name(std::int64_t step) {
  std::ostringstream s;
  s << "chk" << std::setw(8) << std::setfill('0') << step;
  return s.str();
}

CheckpointStore::CheckpointStore(std::string dir, int keep) : dir_(std::move(dir)), keep_(std::max(keep, 1)) {}

std::string CheckpointStore::path(std::int64_t step) const { return (fs::path(dir_) / checkpoint_name(step)).string(); }

std::vector<std::int64_t> CheckpointStore::steps() const {
  std::vector<std::int64_t> out;
  if (!fs::is_directory(dir_)) return out;
  for (const auto& entry : fs::directory_iterator(dir_)) {
    const std::string name = entry.path().filename().string();
    if (name.size() != 11 || name.rfind("chk", 0) != 0 || !entry.is_directory()) continue;
    if (!std::all_of(name.begin() + 3, name.end(), ::isdigit)) continue;
    if (!fs::exists(entry.path() / "state.json")) continue;
    out.push_back(std::stoll(name.substr(3)));
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::optional<std::string> CheckpointStore::newest() const {
  auto s = steps();
  if (s.empty()) return std::nullopt;
  return path(s.back());
}

void CheckpointStore::remove_stale_temporaries() const {
  if (!fs::is_directory(dir_)) return;
  for (const auto& entry : fs::directory_iterator(dir_)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(".chk", 0) == 0) fs::remove_all(entry.path());
  }
}

std::string CheckpointStore::write(std::int64_t step, const std::function<void(const std::string&)>& write) {
  fs::create_directories(dir_);
  const fs::path final_path = path(step);
  const fs::path tmp = fs::path(dir_) / ("." + checkpoint_name(step) + ".tmp" + std::to_string(getpid()));
  fs::remove_all(tmp);
  fs::create_directories(tmp);
  write(tmp.string());
  FLEX_CHECK(fs::exists(tmp / "state.json"), "checkpoint writer did not write state.json");
  if (fs::exists(final_path)) {
    // Same step written again (e.g. after a reload): retire the old one first.
    const fs::path old = fs::path(dir_) / ("." + checkpoint_name(step) + ".old" + std::to_string(getpid()));
    fs::rename(final_path, old);
    fs::rename(tmp, final_path);
    fs::remove_all(old);
  } else {
    fs::rename(tmp, final_path);
  }
  auto all = steps();
  for (std::size_t i = 0; i + static_cast<std::size_t>(keep_) < all.size(); ++i) fs::remove_all(path(all[i]));
  return final_path.string();
}

}  // namespace flex::train
