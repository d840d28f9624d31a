// Small synthetic files in the external layouts flex reads (io/layout.hpp),
// written with the HDF5 C API exactly as their producers lay them out:
// PDEBench's inhomogeneous Navier-Stokes and SuperBench's ERA5. Header-only,
// for the unit tests and the make_layout_files program of the CLI tests.
#pragma once

#include <hdf5.h>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

namespace flex::testing {

inline void write_dataset(hid_t file, const char* name, const std::vector<hsize_t>& dims,
                          const std::function<float(const std::vector<hsize_t>&)>& value) {
  hid_t space = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
  hid_t set = H5Dcreate2(file, name, H5T_IEEE_F32LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  hsize_t total = 1;
  for (auto d : dims) total *= d;
  std::vector<float> data(total);
  std::vector<hsize_t> index(dims.size(), 0);
  for (hsize_t k = 0; k < total; ++k) {
    hsize_t rest = k;
    for (size_t a = dims.size(); a-- > 0;) index[a] = rest % dims[a], rest /= dims[a];
    data[k] = value(index);
  }
  H5Dwrite(set, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, data.data());
  H5Dclose(set), H5Sclose(space);
}

// Velocity of a divergence-free cellular flow on PDEBench's unit box, cell
// centres x = (i + 1/2)/n: u = a sin(pi x) cos(pi y), v = -a cos(pi x) sin(pi y),
// so w = dv/dx - du/dy = 2 pi a sin(pi x) sin(pi y); a = (1 + entry)(1 + t/10).
inline double pdebench_amplitude(long entry, long t) { return (1.0 + entry) * (1.0 + 0.1 * t); }
inline double pdebench_u(double a, double x, double y) { return a * std::sin(M_PI * x) * std::cos(M_PI * y); }
inline double pdebench_v(double a, double x, double y) { return -a * std::cos(M_PI * x) * std::sin(M_PI * y); }
inline double pdebench_w(double a, double x, double y) { return 2 * M_PI * a * std::sin(M_PI * x) * std::sin(M_PI * y); }

// ns_incom_inhom_2d_512-*.h5 layout: velocity [batch, t, x, y, 2], particles
// [batch, t, x, y, 1], force [batch, x, y, 2], t [batch, t]. `velocity_components`
// other than 2 makes a damaged file.
inline void write_pdebench(const std::string& path, hsize_t batch, hsize_t steps, hsize_t n,
                           hsize_t velocity_components = 2) {
  hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  const auto centre = [n](hsize_t i) { return (static_cast<double>(i) + 0.5) / static_cast<double>(n); };
  write_dataset(f, "velocity", {batch, steps, n, n, velocity_components}, [&](const std::vector<hsize_t>& i) {
    const double a = pdebench_amplitude(static_cast<long>(i[0]), static_cast<long>(i[1]));
    const double x = centre(i[2]), y = centre(i[3]);
    return static_cast<float>(i[4] == 0 ? pdebench_u(a, x, y) : pdebench_v(a, x, y));
  });
  write_dataset(f, "particles", {batch, steps, n, n, 1},
                [&](const std::vector<hsize_t>& i) { return static_cast<float>(centre(i[2]) * centre(i[3])); });
  write_dataset(f, "force", {batch, n, n, 2}, [](const std::vector<hsize_t>& i) { return i[3] == 0 ? 0.1f : -0.1f; });
  write_dataset(f, "t", {batch, steps}, [](const std::vector<hsize_t>& i) { return 0.05f * static_cast<float>(i[1]); });
  H5Fclose(f);
}

// SuperBench ERA5 layout: fields [N, 3, lat, 2 (lat - 1)] (721 x 1440 at
// full size), channels 10 m kinetic energy, 2 m temperature, total column
// water vapour around their SuperBench means; the last (South Pole) row holds
// 1e6 so a reader that forgets the crop is caught.
inline float era5_value(hsize_t n, hsize_t c, hsize_t row, hsize_t col, hsize_t lat) {
  if (row == lat - 1) return 1e6f;
  const double phi = M_PI * (0.5 - static_cast<double>(row) / static_cast<double>(lat - 1));  // latitude
  const double lambda = 2 * M_PI * static_cast<double>(col) / static_cast<double>(2 * (lat - 1));  // longitude
  const double wave = std::cos(phi) * std::sin(3 * lambda + 0.3 * static_cast<double>(n)) +
                      0.3 * std::sin(2 * phi) * std::cos(5 * lambda);
  static const double mean[3] = {6.3, 278.4, 18.4}, amplitude[3] = {3.7, 21.1, 16.5};
  return static_cast<float>(mean[c] + amplitude[c] * (c == 1 ? std::cos(phi) - 0.6 + 0.2 * wave : wave));
}

inline void write_era5(const std::string& path, hsize_t snapshots, hsize_t lat) {
  hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  write_dataset(f, "fields", {snapshots, 3, lat, 2 * (lat - 1)},
                [&](const std::vector<hsize_t>& i) { return era5_value(i[0], i[1], i[2], i[3], lat); });
  H5Fclose(f);
}

}  // namespace flex::testing
