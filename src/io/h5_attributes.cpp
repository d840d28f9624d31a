#include "h5_attributes.hpp"

#include "flex/core/error.hpp"
#include "h5_handle.hpp"

namespace flex::io::detail {

bool has_attribute(hid_t object, const std::string& name) { return H5Aexists(object, name.c_str()) > 0; }

std::vector<double> read_doubles(hid_t object, const std::string& name, const std::string& path) {
  FLEX_REQUIRE(has_attribute(object, name), path << ": attribute '" << name << "' is missing");
  H5Handle attr(checked(H5Aopen(object, name.c_str(), H5P_DEFAULT), path, "attribute open"), H5Aclose);
  H5Handle type(H5Aget_type(attr.get()), H5Tclose);
  const H5T_class_t cls = H5Tget_class(type.get());
  FLEX_REQUIRE(cls == H5T_FLOAT || cls == H5T_INTEGER,
               path << ": attribute '" << name << "' is not numeric");
  H5Handle space(H5Aget_space(attr.get()), H5Sclose);
  const hssize_t n = H5Sget_simple_extent_npoints(space.get());
  std::vector<double> values(static_cast<size_t>(n > 0 ? n : 0));
  if (!values.empty())
    checked_status(H5Aread(attr.get(), H5T_NATIVE_DOUBLE, values.data()), path, "attribute read");
  return values;
}

std::string read_string(hid_t object, const std::string& name, const std::string& path) {
  FLEX_REQUIRE(has_attribute(object, name), path << ": attribute '" << name << "' is missing");
  H5Handle attr(checked(H5Aopen(object, name.c_str(), H5P_DEFAULT), path, "attribute open"), H5Aclose);
  H5Handle type(H5Aget_type(attr.get()), H5Tclose);
  FLEX_REQUIRE(H5Tget_class(type.get()) == H5T_STRING, path << ": attribute '" << name << "' is not a string");
  if (H5Tis_variable_str(type.get()) > 0) {
    H5Handle mem(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(mem.get(), H5T_VARIABLE);
    char* text = nullptr;
    checked_status(H5Aread(attr.get(), mem.get(), &text), path, "attribute read");
    std::string out = text ? text : "";
    H5free_memory(text);
    return out;
  }
  const size_t size = H5Tget_size(type.get());
  std::string out(size, '\0');
  checked_status(H5Aread(attr.get(), type.get(), out.data()), path, "attribute read");
  out.resize(out.find('\0') == std::string::npos ? size : out.find('\0'));
  return out;
}

namespace {
void remove_if_present(hid_t object, const std::string& name) {
  if (has_attribute(object, name)) H5Adelete(object, name.c_str());
}
}  // namespace

void write_doubles(hid_t object, const std::string& name, const std::vector<double>& values, const std::string& path) {
  remove_if_present(object, name);
  const hsize_t n = values.size();
  H5Handle space(values.size() == 1 ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &n, nullptr), H5Sclose);
  H5Handle attr(checked(H5Acreate2(object, name.c_str(), H5T_IEEE_F64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT),
                        path, "attribute create"),
                H5Aclose);
  checked_status(H5Awrite(attr.get(), H5T_NATIVE_DOUBLE, values.data()), path, "attribute write");
}

void write_string(hid_t object, const std::string& name, const std::string& value, const std::string& path) {
  remove_if_present(object, name);
  H5Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type.get(), value.size() + 1);  // room for the terminating null
  H5Tset_strpad(type.get(), H5T_STR_NULLTERM);
  H5Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  H5Handle attr(checked(H5Acreate2(object, name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), path,
                        "attribute create"),
                H5Aclose);
  checked_status(H5Awrite(attr.get(), type.get(), value.c_str()), path, "attribute write");
}

}  // namespace flex::io::detail
