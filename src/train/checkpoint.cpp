#include "flex/train/checkpoint.hpp"

#include <torch/torch.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <sstream>

#include "flex/core/error.hpp"
#include "flex/core/log.hpp"

namespace fs = std::filesystem;

namespace flex::train {

namespace {

// The .pt files of a checkpoint, in the order they are written.
constexpr const char* kTensorFiles[] = {"model.pt", "ema.pt", "optimizer.pt", "data_order.pt", "rng.pt"};

// How every message about a damaged checkpoint ends: the ways on.
constexpr const char* kDamaged =
    "; resume from another checkpoint (train.restart = <its chk directory>) or start afresh (train.restart = none "
    "with run.overwrite = true)";

std::string reason(const std::error_code& ec) { return ec ? " (" + ec.message() + ")" : std::string(); }

}  // namespace

std::string fnv1a64(const std::string& bytes) {
  std::uint64_t h = 14695981039346656037ull;
  for (const unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ull;
  }
  std::ostringstream s;
  s << std::hex << std::setw(16) << std::setfill('0') << h;
  return s.str();
}

void write_file_checked(const std::string& path, const std::string& bytes, const std::string& what) {
  bool opened = false, ok = false;
  int error = 0;
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    opened = out.is_open();
    if (!opened) error = errno;
    if (opened) {
      out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
      out.flush();
      out.close();
      ok = !out.fail();
    }
  }
  if (ok) return;
  std::error_code ec;
  // Only a regular file is ours to remove (the path may be a device or a link to one).
  if (fs::is_regular_file(fs::symlink_status(path, ec))) fs::remove(path, ec);
  const fs::path p(path);
  const fs::path dir = p.has_parent_path() ? p.parent_path() : fs::path(".");
  FLEX_REQUIRE(opened, path << ": cannot create " << what << " (" << std::strerror(error ? error : EIO)
                            << "; is " << dir.string() << " a writable directory?)");
  // The wording of output::write_failed, so every subcommand's full disk reads alike.
  std::ostringstream free;
  const fs::space_info space = fs::space(dir, ec);
  if (!ec) free << "; " << space.available << " bytes free in " << dir.string();
  FLEX_REQUIRE(false, path << ": cannot write " << what << " (disk full or over quota?" << free.str() << ")");
}

std::string read_file(const std::string& path) {
  std::error_code ec;
  FLEX_REQUIRE(fs::is_regular_file(path, ec), path << ": missing (the checkpoint is incomplete)" << kDamaged);
  std::ifstream in(path, std::ios::binary);
  FLEX_REQUIRE(in.is_open(), path << ": cannot open for reading");
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  in.seekg(0, std::ios::beg);
  FLEX_REQUIRE(size >= 0 && in.good(), path << ": cannot read");
  std::string bytes(static_cast<std::size_t>(size), '\0');
  if (size > 0) in.read(&bytes[0], size);
  FLEX_REQUIRE(in.gcount() == size, path << ": cannot read (" << in.gcount() << " of " << size << " bytes)");
  return bytes;
}

std::string encode_tensors(const TensorMap& tensors) {
  torch::serialize::OutputArchive archive;
  for (const auto& [name, t] : tensors) archive.write(name, t.detach().cpu());
  std::ostringstream out(std::ios::binary);
  archive.save_to(out);
  return out.str();
}

TensorMap decode_tensors(const std::string& bytes, const std::string& path) {
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(bytes.data(), bytes.size());
    TensorMap out;
    for (const auto& key : archive.keys()) {
      at::Tensor t;
      archive.read(key, t);
      out[key] = t;
    }
    return out;
  } catch (const std::exception&) {
    // LibTorch's own text is a backtrace; what the user needs is which file.
  }
  FLEX_REQUIRE(false, path << ": not a readable LibTorch archive (truncated or damaged?)" << kDamaged);
  return {};
}

void save_tensors(const std::string& path, const TensorMap& tensors) {
  write_file_checked(path, encode_tensors(tensors), "the checkpoint");
}

TensorMap load_tensors(const std::string& path) { return decode_tensors(read_file(path), path); }

std::string checkpoint_name(std::int64_t step) {
  std::ostringstream s;
  s << "chk" << std::setw(8) << std::setfill('0') << step;
  return s.str();
}

namespace {

void write_state(const std::string& path, const CheckpointState& s, const std::map<std::string, FileRecord>& files) {
  nlohmann::ordered_json j = {
      {"step", s.step},       {"epoch", s.epoch},     {"steps_per_epoch", s.steps_per_epoch},
      {"lr_scale", s.lr_scale}, {"bad_run", s.bad_run}, {"ranks", s.ranks},
      {"seed", s.seed},       {"optimizer", s.optimizer}};
  if (s.loss_scale > 0) j["loss_scale"] = s.loss_scale, j["loss_scale_good_steps"] = s.loss_scale_good_steps;
  j["model"] = s.model;
  nlohmann::ordered_json listed = nlohmann::ordered_json::object();
  for (const auto& [name, f] : files) listed[name] = {{"bytes", f.bytes}, {"fnv1a64", f.fnv1a64}};
  j["files"] = listed;
  write_file_checked(path, j.dump() + "\n", "the checkpoint");
}

// One member of state.json; a missing or mistyped one is an InputError naming the file.
const nlohmann::json* member(const nlohmann::json& j, const char* key, const std::string& path, bool required) {
  if (!j.contains(key)) {
    FLEX_REQUIRE(!required, path << ": no \"" << key << "\" (truncated or damaged state.json)" << kDamaged);
    return nullptr;
  }
  return &j.at(key);
}

std::int64_t integer(const nlohmann::json& j, const char* key, const std::string& path, bool required,
                     std::int64_t fallback = 0) {
  const nlohmann::json* v = member(j, key, path, required);
  if (!v) return fallback;
  FLEX_REQUIRE(v->is_number_integer(), path << ": \"" << key << "\" = " << v->dump() << " is not an integer" << kDamaged);
  FLEX_REQUIRE(!v->is_number_unsigned() || v->get<std::uint64_t>() <= static_cast<std::uint64_t>(INT64_MAX),
               path << ": \"" << key << "\" = " << v->dump() << " is out of range" << kDamaged);
  return v->get<std::int64_t>();
}

void check(bool ok, const std::string& path, const char* key, const std::string& value, const char* rule) {
  FLEX_REQUIRE(ok, path << ": \"" << key << "\" = " << value << ", but " << rule
                        << " (a damaged or hand-edited state.json)" << kDamaged);
}

// Also reads the hand-written state.json of earlier versions: the same keys
// (with lr_scale 1 written as a whole number), without "files" and "model".
CheckpointState read_state(const std::string& path, const std::string& dir) {
  std::ifstream in(path);
  FLEX_REQUIRE(in.good(), "train.restart: " << dir << " is not a checkpoint (no state.json)");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception&) {
    FLEX_REQUIRE(false, path << ": not valid JSON (truncated or damaged state.json)" << kDamaged);
  }
  FLEX_REQUIRE(j.is_object(), path << ": not a checkpoint state (a JSON object)" << kDamaged);
  CheckpointState s;
  s.step = integer(j, "step", path, true);
  s.bad_run = integer(j, "bad_run", path, true);
  const std::int64_t ranks = integer(j, "ranks", path, true);
  const nlohmann::json* lr = member(j, "lr_scale", path, true);
  FLEX_REQUIRE(lr->is_number(), path << ": \"lr_scale\" = " << lr->dump() << " is not a number" << kDamaged);
  s.lr_scale = lr->get<double>();
  if (const nlohmann::json* ls = member(j, "loss_scale", path, false)) {
    FLEX_REQUIRE(ls->is_number() && ls->get<double>() > 0 && std::isfinite(ls->get<double>()),
                 path << ": \"loss_scale\" = " << ls->dump() << " is not a positive number" << kDamaged);
    s.loss_scale = ls->get<double>();
    s.loss_scale_good_steps = integer(j, "loss_scale_good_steps", path, false);
    check(s.loss_scale_good_steps >= 0, path, "loss_scale_good_steps", std::to_string(s.loss_scale_good_steps),
          "a count of steps is >= 0");
  }
  // Informational for the loop (a resume takes them from its own deck), but
  // they must agree with the step they describe.
  s.epoch = integer(j, "epoch", path, false);
  s.steps_per_epoch = integer(j, "steps_per_epoch", path, false);
  check(s.step >= 0, path, "step", std::to_string(s.step), "a checkpoint's step is >= 0");
  check(std::isfinite(s.lr_scale) && s.lr_scale > 0 && s.lr_scale <= 1, path, "lr_scale", lr->dump(),
        "the learning-rate scale is a product of train.lr_backoff factors, in (0, 1]");
  check(s.bad_run >= 0, path, "bad_run", std::to_string(s.bad_run), "a count of steps is >= 0");
  check(ranks >= 1 && ranks <= (1 << 24), path, "ranks", std::to_string(ranks), "a rank count is >= 1");
  s.ranks = static_cast<int>(ranks);
  if (j.contains("steps_per_epoch")) {
    check(s.steps_per_epoch >= 1, path, "steps_per_epoch", std::to_string(s.steps_per_epoch), "it is >= 1");
    if (j.contains("epoch"))
      check(s.epoch == s.step / s.steps_per_epoch, path, "epoch", std::to_string(s.epoch),
            ("step / steps_per_epoch = " + std::to_string(s.step / s.steps_per_epoch)).c_str());
  }
  s.has_seed = j.contains("seed");
  if (s.has_seed) {
    const nlohmann::json& v = j.at("seed");
    FLEX_REQUIRE(v.is_number_unsigned() || (v.is_number_integer() && v.get<std::int64_t>() >= 0),
                 path << ": \"seed\" = " << v.dump() << " is not a seed (an integer >= 0)" << kDamaged);
    s.seed = v.get<std::uint64_t>();
  }
  if (const nlohmann::json* v = member(j, "optimizer", path, false)) {
    FLEX_REQUIRE(v->is_string(), path << ": \"optimizer\" is not a name" << kDamaged);
    s.optimizer = v->get<std::string>();
  }
  if (const nlohmann::json* m = member(j, "model", path, false)) {
    FLEX_REQUIRE(m->is_object(), path << ": \"model\" is not an object of deck keys" << kDamaged);
    for (auto it = m->begin(); it != m->end(); ++it) {
      FLEX_REQUIRE(it->is_string(), path << ": \"model\": " << it.key() << " is not a deck value" << kDamaged);
      s.model[it.key()] = it->get<std::string>();
    }
  }
  if (const nlohmann::json* f = member(j, "files", path, false)) {
    FLEX_REQUIRE(f->is_object(), path << ": \"files\" is not an object" << kDamaged);
    for (auto it = f->begin(); it != f->end(); ++it) {
      const nlohmann::json& e = *it;
      const bool ok = e.is_object() && e.contains("bytes") && e.at("bytes").is_number_unsigned() &&
                      e.contains("fnv1a64") && e.at("fnv1a64").is_string() &&
                      e.at("fnv1a64").get<std::string>().size() == 16;
      FLEX_REQUIRE(ok, path << ": \"files\": " << it.key() << " is not {\"bytes\": N, \"fnv1a64\": \"<16 hex>\"}"
                            << kDamaged);
      s.files[it.key()] = {e.at("bytes").get<std::uint64_t>(), e.at("fnv1a64").get<std::string>()};
    }
    for (const char* name : kTensorFiles)
      FLEX_REQUIRE(s.files.count(name), path << ": \"files\" does not list " << name << kDamaged);
  }
  return s;
}

// The bytes of one file of the checkpoint, checked against state.json's record when it has one.
std::string read_verified(const std::string& dir, const std::string& name, const CheckpointState& s) {
  const std::string path = dir + "/" + name;
  const std::string bytes = read_file(path);
  const auto it = s.files.find(name);
  if (it == s.files.end()) return bytes;
  FLEX_REQUIRE(bytes.size() == it->second.bytes, path << ": truncated or damaged (" << bytes.size()
                                                      << " bytes, state.json records " << it->second.bytes << ")"
                                                      << kDamaged);
  FLEX_REQUIRE(fnv1a64(bytes) == it->second.fnv1a64,
               path << ": truncated or damaged (its FNV-1a hash differs from the one state.json records)" << kDamaged);
  return bytes;
}

TensorMap read_archive(const std::string& dir, const std::string& name, const CheckpointState& s) {
  return decode_tensors(read_verified(dir, name, s), dir + "/" + name);
}

}  // namespace

void write_checkpoint(const std::string& dir, const Checkpoint& c) {
  const std::map<std::string, const TensorMap*> parts = {{"model.pt", &c.model},
                                                         {"ema.pt", &c.ema},
                                                         {"optimizer.pt", &c.optimizer},
                                                         {"data_order.pt", &c.data_order},
                                                         {"rng.pt", &c.rng}};
  std::map<std::string, FileRecord> files;
  for (const char* name : kTensorFiles) {
    const std::string bytes = encode_tensors(*parts.at(name));
    write_file_checked(dir + "/" + name, bytes, "the checkpoint");
    files[name] = {bytes.size(), fnv1a64(bytes)};
  }
  write_state(dir + "/state.json", c.state, files);  // last: it marks the directory complete
}

Checkpoint read_checkpoint(const std::string& dir) {
  Checkpoint c;
  c.state = read_state(dir + "/state.json", dir);
  if (c.state.files.empty())
    log::warn("train: ", dir, "/state.json lists no file sizes and hashes (an earlier version's checkpoint): its "
              "files cannot be verified, only read");
  c.model = read_archive(dir, "model.pt", c.state);
  c.ema = read_archive(dir, "ema.pt", c.state);
  c.optimizer = read_archive(dir, "optimizer.pt", c.state);
  c.rng = read_archive(dir, "rng.pt", c.state);
  // Not needed to continue, but a damaged one means a damaged checkpoint; an
  // earlier version's checkpoint may lack it.
  if (!c.state.files.empty() || fs::exists(dir + "/data_order.pt"))
    c.data_order = read_archive(dir, "data_order.pt", c.state);
  return c;
}

CheckpointStore::CheckpointStore(std::string dir, int keep) : dir_(std::move(dir)), keep_(std::max(keep, 1)) {}

std::string CheckpointStore::path(std::int64_t step) const { return (fs::path(dir_) / checkpoint_name(step)).string(); }

namespace {
bool is_checkpoint_name(const std::string& name) {
  return name.size() == 11 && name.rfind("chk", 0) == 0 &&
         std::all_of(name.begin() + 3, name.end(), [](char c) { return c >= '0' && c <= '9'; });
}
}  // namespace

std::vector<std::int64_t> CheckpointStore::steps() const {
  std::vector<std::int64_t> out;
  if (!fs::is_directory(dir_)) return out;
  for (const auto& entry : fs::directory_iterator(dir_)) {
    const std::string name = entry.path().filename().string();
    if (!is_checkpoint_name(name) || !entry.is_directory()) continue;
    if (!fs::exists(entry.path() / "state.json")) continue;
    out.push_back(std::stoll(name.substr(3)));
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> CheckpointStore::all_directories() const {
  std::vector<std::string> out;
  std::error_code ec;
  if (!fs::is_directory(dir_, ec)) return out;
  for (const auto& entry : fs::directory_iterator(dir_, ec)) {
    const std::string name = entry.path().filename().string();
    if (is_checkpoint_name(name) && entry.is_directory(ec)) out.push_back(entry.path().string());
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

std::size_t CheckpointStore::clear() const {
  std::error_code ec;
  if (!fs::is_directory(dir_, ec)) return 0;
  std::vector<fs::path> entries;
  for (const auto& entry : fs::directory_iterator(dir_, ec)) entries.push_back(entry.path());
  for (const auto& p : entries) {
    fs::remove_all(p, ec);
    FLEX_REQUIRE(!ec, p.string() << ": cannot remove the earlier run's checkpoint" << reason(ec)
                                 << "; remove it by hand or choose another run.output_dir");
  }
  return entries.size();
}

std::string CheckpointStore::write(std::int64_t step, const std::function<void(const std::string&)>& write) {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  FLEX_REQUIRE(!ec && fs::is_directory(dir_), dir_ << ": cannot create the checkpoint directory" << reason(ec)
                                                   << " (is run.output_dir writable?)");
  const std::string name = checkpoint_name(step);
  const fs::path final_path = path(step);
  const fs::path tmp = fs::path(dir_) / ("." + name + ".tmp" + std::to_string(getpid()));
  try {
    fs::remove_all(tmp, ec);
    fs::create_directory(tmp, ec);
    FLEX_REQUIRE(!ec, tmp.string() << ": cannot create the checkpoint" << reason(ec));
    write(tmp.string());
    FLEX_CHECK(fs::exists(tmp / "state.json"), "checkpoint writer did not write state.json");
    if (fs::exists(final_path)) {
      // Same step written again (e.g. after a reload): retire the old one first.
      const fs::path old = fs::path(dir_) / ("." + name + ".old" + std::to_string(getpid()));
      fs::remove_all(old, ec);
      fs::rename(final_path, old, ec);
      FLEX_REQUIRE(!ec, final_path.string() << ": cannot replace the checkpoint" << reason(ec));
      fs::rename(tmp, final_path, ec);
      if (ec) {
        std::error_code back;
        fs::rename(old, final_path, back);
        FLEX_REQUIRE(false, final_path.string() << ": cannot move the new checkpoint into place" << reason(ec));
      }
      fs::remove_all(old, ec);
    } else {
      fs::rename(tmp, final_path, ec);
      FLEX_REQUIRE(!ec, final_path.string() << ": cannot move the new checkpoint into place" << reason(ec));
    }
  } catch (const InputError& e) {
    std::error_code ignored;
    fs::remove_all(tmp, ignored);  // a partial checkpoint would only keep the disk full
    FLEX_REQUIRE(false, e.what() << "; " << name << " was not written, the earlier checkpoints are kept");
  } catch (...) {
    std::error_code ignored;
    fs::remove_all(tmp, ignored);
    throw;
  }
  // Pruning only after the new one is in place: a failure above never costs an old checkpoint.
  auto all = steps();
  for (std::size_t i = 0; i + static_cast<std::size_t>(keep_) < all.size(); ++i) {
    fs::remove_all(path(all[i]), ec);
    if (ec) log::warn("train: ", path(all[i]), ": cannot remove this old checkpoint", reason(ec));
  }
  return final_path.string();
}

}  // namespace flex::train
