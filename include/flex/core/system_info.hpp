// What the process runs on, for logs and benchmark headers.
#pragma once

#include <cstddef>
#include <string>

namespace flex::sysinfo {

// Real path of the BLAS library loaded into this process (LibTorch calls
// whatever libblas.so.3 the alternatives system selects), or "none loaded".
std::string active_blas();
// Peak resident set size of this process so far, bytes.
std::size_t peak_rss_bytes();
// Current resident set size, bytes.
std::size_t current_rss_bytes();
std::string hostname();

}  // namespace flex::sysinfo
