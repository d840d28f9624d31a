// Output files are never left half-written and never silently replaced:
// write under a temporary name in the same directory, rename on success.
#pragma once

#include <string>

namespace flex::output {

// Errors (InputError) if `path` exists and overwrite is false, or if its
// directory cannot be created or written. Creates missing parent directories.
void ensure_writable(const std::string& path, bool overwrite);

// "<dir>/.<name>.tmp<pid>": same filesystem as `path`, so rename is atomic.
std::string temporary_for(const std::string& path);

// Atomically moves `tmp` onto `path`.
void commit(const std::string& tmp, const std::string& path);

void write_text_atomic(const std::string& path, const std::string& text);

// "<dir>/<stem><new_extension>" for an output file "<dir>/<stem>.<ext>".
std::string sidecar(const std::string& path, const std::string& new_extension);

// The one name of the resolved deck written beside an output: <dir>/<stem>.deck.ini.
std::string resolved_deck_path(const std::string& output_path);

}  // namespace flex::output
