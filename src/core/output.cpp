#include "flex/core/output.hpp"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "flex/core/error.hpp"

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

void write_text_atomic(const std::string& path, const std::string& text) {
  const std::string tmp = temporary_for(path);
  {
    std::ofstream out(tmp, std::ios::trunc);
    FLEX_REQUIRE(out.good(), tmp << ": cannot open for writing");
    out << text;
    out.flush();
    FLEX_REQUIRE(out.good(), tmp << ": write failed (disk full?)");
  }
  commit(tmp, path);
}

std::string sidecar(const std::string& path, const std::string& new_extension) {
  fs::path p(path);
  p.replace_extension(new_extension);
  return p.string();
}

std::string resolved_deck_path(const std::string& output_path) { return sidecar(output_path, ".deck.ini"); }

}  // namespace flex::output
