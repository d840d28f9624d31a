#include <algorithm>
#include <filesystem>
#include <limits>
#include <sstream>

#include "flex/core/collectives.hpp"
#include "flex/core/error.hpp"
#include "flex/io/fields.hpp"
#include "flex/io/wall_derivative.hpp"
#include "h5_attributes.hpp"
#include "h5_handle.hpp"
#include "hyperslab.hpp"

namespace flex::io {

using detail::checked;
using detail::checked_status;
using detail::H5Handle;

struct FieldReader::Impl {
  std::string path, dataset;
  MPI_Comm comm;
  detail::CloseGuard guard;
  H5Handle file, dset;
  FieldShape shape;  // the logical view
  Format format = Format::SuperBench;
  int rank = 4;  // of the dataset: 4 [N,C,H,W]; 3 [T,H,W] seen as C = 1; 5 PDEBench [B,T,X,Y,2]
  long batch_index = 0;  // PDEBench: the entry read
  double dx = 1, dy = 1;  // PDEBench: grid spacings of the unit box

  // The logical view of the dataset (dims checked against the format).
  FieldShape logical_shape(const hsize_t* dims, const FieldLayout& layout) const;
  void read_pdebench(const Hyperslab& box, float* out) const;
};

namespace {

std::string shape_text(const hsize_t* dims, int rank) {
  std::string text = "[";
  for (int i = 0; i < rank; ++i) text += (i ? ", " : "") + std::to_string(dims[i]);
  return text + "]";
}

bool has_link(hid_t file, const char* name) { return H5Lexists(file, name, H5P_DEFAULT) > 0; }

// The dataset a layout reads: the one requested, or the format's own; Auto
// takes the first present of `fields`, `w`, `velocity`.
std::string pick_dataset(hid_t file, const std::string& path, const FieldLayout& layout) {
  if (!layout.dataset.empty()) {
    FLEX_REQUIRE(has_link(file, layout.dataset.c_str()), path << ": dataset '" << layout.dataset << "' not found");
    return layout.dataset;
  }
  switch (layout.format) {
    case Format::Flex:
      FLEX_REQUIRE(has_link(file, "w"), path << ": format flex needs dataset 'w' [T,H,W]; the file has none");
      return "w";
    case Format::PdeBench:
      FLEX_REQUIRE(has_link(file, "velocity"),
                   path << ": format pdebench needs dataset 'velocity' [batch,t,x,y,2]; the file has none");
      return "velocity";
    case Format::SuperBench:
    case Format::Era5:
      FLEX_REQUIRE(has_link(file, "fields"), path << ": format " << format_name(layout.format)
                                                   << " needs dataset 'fields' [N,C,H,W]; the file has none");
      return "fields";
    case Format::Auto: break;
  }
  for (const char* name : {"fields", "w", "velocity"})
    if (has_link(file, name)) return name;
  FLEX_REQUIRE(false, path << ": no field dataset: expected 'fields' [N,C,H,W] (SuperBench, ERA5), 'w' [T,H,W] "
                              "(FLEX) or 'velocity' [batch,t,x,y,2] (PDEBench)");
}

// A latitude-longitude grid: W = 2(H - 1) with both poles (ERA5's 721 x 1440), or W = 2H without one.
bool lat_lon(const hsize_t* dims) { return dims[3] == 2 * (dims[2] - 1) || dims[3] == 2 * dims[2]; }

Format resolve_format(Format requested, int rank, const hsize_t* dims) {
  if (requested != Format::Auto) return requested;
  if (rank == 5) return Format::PdeBench;
  if (rank == 3) return Format::Flex;
  return lat_lon(dims) ? Format::Era5 : Format::SuperBench;
}

}  // namespace

FieldShape FieldReader::Impl::logical_shape(const hsize_t* dims, const FieldLayout& layout) const {
  const auto d = [&](int i) { return static_cast<long>(dims[i]); };
  const Impl& m = *this;
  switch (m.format) {
    case Format::PdeBench: {
      FLEX_REQUIRE(m.rank == 5 && dims[4] == 2, path << ": format pdebench needs dataset '" << m.dataset
                                                     << "' as [batch, t, x, y, 2] (u, v); it is " << shape_text(dims, m.rank));
      FLEX_REQUIRE(d(2) >= 3 && d(3) >= 3, path << ": PDEBench velocity of " << d(2) << "x" << d(3)
                                                << " samples: vorticity needs at least 3x3");
      const std::string about =
          layout.batch_index_about.empty() ? "batch index " + std::to_string(layout.batch_index) : layout.batch_index_about;
      FLEX_REQUIRE(layout.batch_index >= 0 && layout.batch_index < d(0),
                   path << ": " << about << " is outside its " << d(0) << " batch entries (0 to " << d(0) - 1 << ")");
      return {d(1), 3, d(2), d(3)};
    }
    case Format::Flex:
      FLEX_REQUIRE(m.rank == 3, path << ": format flex needs dataset '" << m.dataset << "' as [T, H, W]; it has rank "
                                     << m.rank);
      return {d(0), 1, d(1), d(2)};
    case Format::Era5:
      FLEX_REQUIRE(m.rank == 4 && lat_lon(dims),
                   path << ": format era5 needs dataset '" << m.dataset
                        << "' as [N, C, lat, lon] with lon = 2 (lat - 1) (e.g. 721 x 1440) or lon = 2 lat");
      return {d(0), d(1), dims[3] == 2 * (dims[2] - 1) ? d(2) - 1 : d(2), d(3)};
    default:
      FLEX_REQUIRE(m.rank == 4 || m.rank == 3, path << ": dataset '" << m.dataset << "' has rank " << m.rank
                                                    << "; expected [N,C,H,W] or [T,H,W]");
      return m.rank == 4 ? FieldShape{d(0), d(1), d(2), d(3)} : FieldShape{d(0), 1, d(1), d(2)};
  }
}

FieldReader::FieldReader(const std::string& path, MPI_Comm comm, const std::string& dataset)
    : FieldReader(path, comm, FieldLayout{Format::Auto, dataset, 0, ""}) {}

FieldReader::FieldReader(const std::string& path, MPI_Comm comm, const FieldLayout& layout)
    : impl_(std::make_unique<Impl>()) {
  detail::silence_hdf5_errors();
  auto& m = *impl_;
  m.path = path;
  m.comm = comm;
  FLEX_REQUIRE(std::filesystem::exists(path), path << ": no such file");
  FLEX_REQUIRE(std::filesystem::is_regular_file(path),
               path << ": is " << (std::filesystem::is_directory(path) ? "a directory" : "not a regular file")
                    << ", not an HDF5 field file");
  FLEX_REQUIRE(H5Fis_hdf5(path.c_str()) > 0, path << ": not an HDF5 file");
  m.guard = detail::CloseGuard(comm);
  // A truncated or damaged file fails here (or in the first read) on some ranks or all: agreed.
  mpi::agree(comm, [&] {
    auto fapl = detail::mpio_file_access(comm, path);
    m.file = H5Handle(H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl.get()), H5Fclose);
    FLEX_REQUIRE(m.file.valid(), path << ": HDF5 cannot open the file: it is truncated or damaged (`h5dump -H "
                                      << path << "` shows what is readable)");
  });
  m.dataset = pick_dataset(m.file.get(), path, layout);
  m.dset = H5Handle(checked(H5Dopen2(m.file.get(), m.dataset.c_str(), H5P_DEFAULT), path, "dataset open"), H5Dclose);

  H5Handle type(H5Dget_type(m.dset.get()), H5Tclose);
  FLEX_REQUIRE(H5Tget_class(type.get()) == H5T_FLOAT,
               path << ": dataset '" << m.dataset << "' must hold floating-point values");
  H5Handle space(H5Dget_space(m.dset.get()), H5Sclose);
  m.rank = H5Sget_simple_extent_ndims(space.get());
  FLEX_REQUIRE(m.rank >= 3 && m.rank <= 5, path << ": dataset '" << m.dataset << "' has rank " << m.rank
                                                 << "; expected [N,C,H,W], [T,H,W] or [batch,t,x,y,2]");
  hsize_t dims[5] = {0, 0, 0, 0, 0};
  H5Sget_simple_extent_dims(space.get(), dims, nullptr);
  // A damaged header can declare any extent: the element count must fit a long (found by tests/fuzz).
  long total = 1;
  for (int i = 0; i < m.rank; ++i) {
    const bool fits = dims[i] <= static_cast<hsize_t>(std::numeric_limits<long>::max()) &&
                      !__builtin_mul_overflow(total, static_cast<long>(dims[i]), &total);
    FLEX_REQUIRE(fits, path << ": dataset '" << m.dataset << "' declares an impossible size (dimension " << i
                            << " = " << dims[i] << "): the file is damaged");
  }
  m.format = resolve_format(layout.format, m.rank, dims);
  m.batch_index = layout.batch_index;
  m.shape = m.logical_shape(dims, layout);
  // PDEBench's unit box, sampled at cell centres: spacing 1/n.
  m.dx = 1.0 / static_cast<double>(m.shape.h), m.dy = 1.0 / static_cast<double>(m.shape.w);
}

FieldReader::~FieldReader() {
  if (impl_ && impl_->guard.abandoning()) impl_->dset.release(), impl_->file.release();
}
FieldReader::FieldReader(FieldReader&&) noexcept = default;
FieldReader& FieldReader::operator=(FieldReader&&) noexcept = default;

const std::string& FieldReader::path() const { return impl_->path; }
const std::string& FieldReader::dataset() const { return impl_->dataset; }
FieldShape FieldReader::shape() const { return impl_->shape; }
Format FieldReader::format() const { return impl_->format; }
Periodicity FieldReader::periodicity() const { return periodicity_of(impl_->format); }

std::vector<std::string> FieldReader::channel_names() const {
  const long c = impl_->shape.c;
  if (impl_->format != Format::PdeBench && has_attribute("channels")) {
    // As the field writer stores them: names joined by commas.
    std::vector<std::string> names;
    std::string word;
    std::istringstream in(attribute_string("channels"));
    while (std::getline(in, word, ',')) {
      const auto b = word.find_first_not_of(" \t"), e = word.find_last_not_of(" \t");
      if (b != std::string::npos) names.push_back(word.substr(b, e - b + 1));
    }
    if (static_cast<long>(names.size()) == c) return names;
  }
  return default_channel_names(impl_->format, c);
}

// PDEBench: one collective read of both velocity components of the block
// (grown by the stencil's reach when w is asked for), then each channel.
void FieldReader::Impl::read_pdebench(const Hyperslab& box, float* out) const {
  const Impl& m = *this;
  if (box.stride > 1) {
    // Vorticity needs the neighbours of each sample: the band they span is
    // read whole, then sampled.
    Hyperslab band = box;
    band.stride = 1;
    band.nh = box.nh > 0 ? (box.nh - 1) * box.stride + 1 : 0;
    band.nw = box.nw > 0 ? (box.nw - 1) * box.stride + 1 : 0;
    std::vector<float> dense(static_cast<size_t>(std::max(1L, band.count())));
    read_pdebench(band, dense.data());
    for (long p = 0; p < box.nn * box.nc; ++p)
      for (long i = 0; i < box.nh; ++i)
        for (long j = 0; j < box.nw; ++j)
          *out++ = dense[static_cast<size_t>((p * band.nh + i * box.stride) * band.nw + j * box.stride)];
    return;
  }
  const bool wants_w = box.count() > 0 && box.c0 + box.nc > 2;
  WallBlock want{box.h0, box.nh, box.w0, box.nw, m.shape.h, m.shape.w, m.dx, m.dy};
  const WallBlock got = wants_w ? vorticity_read_block(want) : want;
  const long plane = got.rows * got.cols, count = box.count() > 0 ? box.nn * plane * 2 : 0;
  std::vector<float> uv(static_cast<size_t>(std::max(1L, count)));
  H5Handle file_space(H5Dget_space(m.dset.get()), H5Sclose);
  const hsize_t total = static_cast<hsize_t>(std::max(1L, count));
  H5Handle mem_space(H5Screate_simple(1, &total, nullptr), H5Sclose);
  if (count == 0) {
    H5Sselect_none(file_space.get()), H5Sselect_none(mem_space.get());
  } else {
    const hsize_t start[5] = {hsize_t(m.batch_index), hsize_t(box.n0), hsize_t(got.row0), hsize_t(got.col0), 0};
    const hsize_t extent[5] = {1, hsize_t(box.nn), hsize_t(got.rows), hsize_t(got.cols), 2};
    checked_status(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, extent, nullptr), m.path,
                   "hyperslab selection");
  }
  auto dxpl = detail::collective_transfer(m.path);
  mpi::agree(m.comm, [&] {
    FLEX_REQUIRE(H5Dread(m.dset.get(), H5T_NATIVE_FLOAT, mem_space.get(), file_space.get(), dxpl.get(), uv.data()) >= 0,
                 m.path << ": reading dataset '" << m.dataset << "' failed: the file is truncated or damaged");
  });
  if (count == 0) return;
  std::vector<float> u(static_cast<size_t>(plane)), v(static_cast<size_t>(plane));
  float* dst = out;
  for (long n = 0; n < box.nn; ++n) {
    const float* src = uv.data() + n * plane * 2;
    for (long k = 0; k < plane; ++k) u[k] = src[2 * k], v[k] = src[2 * k + 1];
    for (long c = box.c0; c < box.c0 + box.nc; ++c) {
      if (c == 2) {
        const auto w = vorticity_between_walls(u.data(), v.data(), got, want);
        dst = std::copy(w.begin(), w.end(), dst);
        continue;
      }
      const auto& comp = c == 0 ? u : v;
      // u and v from the block read, grown around the box when w was asked for too.
      const long di = box.h0 - got.row0, dj = box.w0 - got.col0;
      for (long i = 0; i < box.nh; ++i)
        for (long j = 0; j < box.nw; ++j) *dst++ = comp[static_cast<size_t>((i + di) * got.cols + j + dj)];
    }
  }
}

void FieldReader::read(const Hyperslab& box, float* out) const {
  const auto& m = *impl_;
  detail::require_inside(box, m.shape, m.path);
  // A rank with nothing to read still joins the collective read: a valid buffer for its empty selection.
  float none = 0;
  if (box.count() == 0) out = &none;
  if (m.format == Format::PdeBench) return m.read_pdebench(box, out);
  H5Handle file_space(H5Dget_space(m.dset.get()), H5Sclose);
  // The ERA5 view leaves out the last (South Pole) row, so rows map one to one.
  H5Handle mem_space = detail::select(box, m.rank, file_space.get(), m.path);
  auto dxpl = detail::collective_transfer(m.path);
  mpi::agree(m.comm, [&] {
    FLEX_REQUIRE(H5Dread(m.dset.get(), H5T_NATIVE_FLOAT, mem_space.get(), file_space.get(), dxpl.get(), out) >= 0,
                 m.path << ": reading dataset '" << m.dataset << "' failed: the file is truncated or damaged");
  });
}

std::vector<float> FieldReader::read(const Hyperslab& box) const {
  std::vector<float> out(static_cast<size_t>(box.count()));
  read(box, out.data());
  return out;
}

bool FieldReader::has_attribute(const std::string& name) const {
  return detail::has_attribute(impl_->dset.get(), name) || detail::has_attribute(impl_->file.get(), name);
}
double FieldReader::attribute_double(const std::string& name) const {
  const auto v = attribute_doubles(name);
  FLEX_REQUIRE(v.size() == 1, impl_->path << ": attribute '" << name << "' is not a scalar");
  return v[0];
}
std::vector<double> FieldReader::attribute_doubles(const std::string& name) const {
  const hid_t owner = detail::has_attribute(impl_->dset.get(), name) ? impl_->dset.get() : impl_->file.get();
  return detail::read_doubles(owner, name, impl_->path);
}
std::string FieldReader::attribute_string(const std::string& name) const {
  const hid_t owner = detail::has_attribute(impl_->dset.get(), name) ? impl_->dset.get() : impl_->file.get();
  return detail::read_string(owner, name, impl_->path);
}

}  // namespace flex::io
