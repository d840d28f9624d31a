#include "flex/core/output.hpp"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "flex/core/error.hpp"
#include "flex/core/log.hpp"

namespace fs = std::filesystem;

namespace flex::output {

void ensure_writable(const std::string& path, bool overwrite) {
  const fs::path p(path);
  FLEX_REQUIRE(overwrite || !fs::exists(p),
               path << ": output exists; set run.overwrite=true to replace it (the old file is kept until the "
                       "new one is complete)");
  const fs::path dir = p.has_parent_path() ? p.parent_path() : fs::path(".");
  std::error_code ec;
  fs::create_directories(dir, ec);
  FLEX_REQUIRE(!ec && fs::is_directory(dir), dir.string() << ": cannot create the output directory");
  FLEX_REQUIRE(::access(dir.c_str(), W_OK) == 0, dir.string() << ": output directory is not writable");
  remove_stale_temporaries(path);
}

void remove_stale_temporaries(const std::string& path) {
  const fs::path p(path);
  const fs::path dir = p.has_parent_path() ? p.parent_path() : fs::path(".");
  const std::string prefix = "." + p.filename().string() + ".tmp";
  const std::string mine = prefix + std::to_string(::getpid());
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) != 0 || name == mine) continue;
    std::error_code removed;
    fs::remove_all(entry.path(), removed);
    if (!removed) log::warn(entry.path().string(), ": removed, a temporary file of an earlier run that did not finish");
  }
}

void write_failed(const std::string& path, const std::string& why) {
  const fs::path p(path);
  const fs::path dir = p.has_parent_path() ? p.parent_path() : fs::path(".");
  std::error_code ec;
  const auto space = fs::space(dir, ec);
  std::string free_text;
  if (!ec) free_text = "; " + std::to_string(space.available) + " bytes free in " + dir.string();
  FLEX_REQUIRE(false, path << ": " << why << " (disk full or over quota?" << free_text
                           << "); nothing was replaced");
}

std::string temporary_for(const std::string& path) {
  const fs::path p(path);
  const fs::path dir = p.has_parent_path() ? p.parent_path() : fs::path(".");
  return (dir / ("." + p.filename().string() + ".tmp" + std::to_string(::getpid()))).string();
}

void commit(const std::string& tmp, const std::string& path) {
  std::error_code ec;
  fs::rename(tmp, path, ec);
  FLEX_REQUIRE(!ec, path << ": cannot move the finished output into place: " << ec.message());
}

namespace {
// Writes `text` to `tmp`; on failure removes it and raises write_failed(path).
void write_temporary(const std::string& tmp, const std::string& path, const std::string& text) {
  bool ok = false;
  {
    std::ofstream out(tmp, std::ios::trunc | std::ios::binary);
    if (out.good()) {
      out << text;
      out.flush();
      out.close();
      ok = !out.fail();
    }
  }
  if (ok) return;
  std::error_code ec;
  fs::remove(tmp, ec);
  write_failed(path, "cannot write the file");
}
}  // namespace

void write_text_atomic(const std::string& path, const std::string& text) {
  const std::string tmp = temporary_for(path);
  write_temporary(tmp, path, text);
  try {
    commit(tmp, path);
  } catch (...) {
    std::error_code ec;
    fs::remove(tmp, ec);
    throw;
  }
}

StagedFiles::~StagedFiles() {
  for (const auto& [tmp, path] : staged_) {
    std::error_code ec;
    fs::remove(tmp, ec);
  }
}

void StagedFiles::add(const std::string& path, const std::string& text) {
  const std::string tmp = temporary_for(path);
  write_temporary(tmp, path, text);
  staged_.emplace_back(tmp, path);
}

void StagedFiles::commit() {
  // Renames within one folder do not need space: once every file is written, they succeed together.
  while (!staged_.empty()) {
    output::commit(staged_.front().first, staged_.front().second);
    staged_.erase(staged_.begin());
  }
}

std::string sidecar(const std::string& path, const std::string& new_extension) {
  fs::path p(path);
  p.replace_extension(new_extension);
  return p.string();
}

std::string resolved_deck_path(const std::string& output_path) { return sidecar(output_path, ".deck.ini"); }

}  // namespace flex::output
