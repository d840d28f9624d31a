// Private to io/: typed HDF5 attribute access on any object (file, dataset).
#pragma once

#include <hdf5.h>

#include <string>
#include <vector>

namespace flex::io::detail {

bool has_attribute(hid_t object, const std::string& name);
std::vector<double> read_doubles(hid_t object, const std::string& name, const std::string& path);
std::string read_string(hid_t object, const std::string& name, const std::string& path);

void write_doubles(hid_t object, const std::string& name, const std::vector<double>& values, const std::string& path);
void write_string(hid_t object, const std::string& name, const std::string& value, const std::string& path);

}  // namespace flex::io::detail
