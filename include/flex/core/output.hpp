// Output files are never left half-written and never silently replaced:
// write under a temporary name in the same directory, rename on success.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace flex::output {

// Errors (InputError) if `path` exists and overwrite is false, or if its
// directory cannot be created or written. Creates missing parent directories
// and removes the temporaries a killed run left for `path`.
void ensure_writable(const std::string& path, bool overwrite);

// Removes "<dir>/.<name>.tmp*" of an earlier (killed) process, with a log line.
void remove_stale_temporaries(const std::string& path);

// The InputError for a failed write of `path`: the free space of its folder
// says whether the disk is full.
[[noreturn]] void write_failed(const std::string& path, const std::string& why);

// "<dir>/.<name>.tmp<pid>": same filesystem as `path`, so rename is atomic.
std::string temporary_for(const std::string& path);

// Atomically moves `tmp` onto `path`.
void commit(const std::string& tmp, const std::string& path);

void write_text_atomic(const std::string& path, const std::string& text);

// Text files that appear together or not at all: each is written under its
// temporary name by add(); commit() renames them all into place. Destroyed
// uncommitted (an error), it removes its temporaries and replaces nothing.
class StagedFiles {
 public:
  StagedFiles() = default;
  StagedFiles(const StagedFiles&) = delete;
  StagedFiles& operator=(const StagedFiles&) = delete;
  ~StagedFiles();
  void add(const std::string& path, const std::string& text);
  void commit();

 private:
  std::vector<std::pair<std::string, std::string>> staged_;  // temporary, final
};

// "<dir>/<stem><new_extension>" for an output file "<dir>/<stem>.<ext>".
std::string sidecar(const std::string& path, const std::string& new_extension);

// The one name of the resolved deck written beside an output: <dir>/<stem>.deck.ini.
std::string resolved_deck_path(const std::string& output_path);

}  // namespace flex::output
