#include "flex/train/checkpoint.hpp"

#include <torch/torch.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <nlohmann/json.hpp>
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

namespace {

void write_state(const std::string& path, const CheckpointState& s) {
  const nlohmann::ordered_json j = {
      {"step", s.step},       {"epoch", s.epoch},     {"steps_per_epoch", s.steps_per_epoch},
      {"lr_scale", s.lr_scale}, {"bad_run", s.bad_run}, {"ranks", s.ranks},
      {"seed", s.seed},       {"optimizer", s.optimizer}};
  std::ofstream out(path);
  out << j.dump() << "\n";
  out.close();
  FLEX_REQUIRE(!out.fail(), path << ": cannot write the checkpoint state (disk full?)");
}

// Also reads the hand-written state.json of earlier versions: the same keys
// (with lr_scale 1 written as a whole number).
CheckpointState read_state(const std::string& path, const std::string& dir) {
  std::ifstream in(path);
  FLEX_REQUIRE(in.good(), "train.restart: " << dir << " is not a checkpoint (no state.json)");
  try {
    const nlohmann::json j = nlohmann::json::parse(in);
    CheckpointState s;
    s.step = j.at("step").get<std::int64_t>();
    s.lr_scale = j.at("lr_scale").get<double>();
    s.bad_run = j.at("bad_run").get<std::int64_t>();
    s.ranks = j.at("ranks").get<int>();
    // Informational: a resume takes these from its own deck.
    s.epoch = j.value("epoch", std::int64_t{0});
    s.steps_per_epoch = j.value("steps_per_epoch", std::int64_t{0});
    s.seed = j.value("seed", std::uint64_t{0});
    s.optimizer = j.value("optimizer", std::string());
    return s;
  } catch (const nlohmann::json::exception& e) {
    FLEX_REQUIRE(false, path << ": not a valid checkpoint state: " << e.what());
  }
  return {};
}

}  // namespace

void write_checkpoint(const std::string& dir, const Checkpoint& c) {
  save_tensors(dir + "/model.pt", c.model);
  save_tensors(dir + "/ema.pt", c.ema);
  save_tensors(dir + "/optimizer.pt", c.optimizer);
  save_tensors(dir + "/data_order.pt", c.data_order);
  save_tensors(dir + "/rng.pt", c.rng);
  write_state(dir + "/state.json", c.state);  // last: it marks the directory complete
}

Checkpoint read_checkpoint(const std::string& dir) {
  Checkpoint c;
  c.state = read_state(dir + "/state.json", dir);
  c.model = load_tensors(dir + "/model.pt");
  c.ema = load_tensors(dir + "/ema.pt");
  c.optimizer = load_tensors(dir + "/optimizer.pt");
  c.rng = load_tensors(dir + "/rng.pt");
  return c;
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
