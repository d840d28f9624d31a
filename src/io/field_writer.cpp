#include <filesystem>
#include <functional>

#include "flex/config.hpp"
#include "flex/core/collectives.hpp"
#include "flex/core/error.hpp"
#include "flex/core/output.hpp"
#include "flex/io/fields.hpp"
#include "h5_attributes.hpp"
#include "h5_handle.hpp"
#include "hyperslab.hpp"

namespace flex::io {

using detail::H5Handle;

struct FieldWriter::Impl {
  std::string path, tmp_path;
  MPI_Comm comm;
  detail::CloseGuard guard;
  int rank = 0;
  FieldShape shape;
  WriterOptions options;
  H5Handle file, dset;
  bool closed = false;
};

FieldWriter::FieldWriter(const std::string& path, MPI_Comm comm, const FieldShape& shape, const WriterOptions& options)
    : impl_(std::make_unique<Impl>()) {
  detail::silence_hdf5_errors();
  auto& m = *impl_;
  m.path = path;
  m.comm = comm;
  m.shape = shape;
  m.options = options;
  FLEX_CHECK_MPI(MPI_Comm_rank(comm, &m.rank));
  FLEX_REQUIRE(shape.n > 0 && shape.c > 0 && shape.h > 0 && shape.w > 0,
               path << ": cannot write a field of shape [" << shape.n << ", " << shape.c << ", " << shape.h << ", "
                    << shape.w << "]");
  FLEX_REQUIRE(options.channel_names.empty() || static_cast<long>(options.channel_names.size()) == shape.c,
               path << ": " << options.channel_names.size() << " channel names for " << shape.c << " channels");
  FLEX_CHECK(!options.resume || options.streamed, path << ": only a streamed file can be resumed");
  if (!options.resume) mpi::on_root(comm, [&] { output::ensure_writable(path, options.overwrite); });
  // A streamed file is written where it will stay, so what it holds survives a crash.
  m.tmp_path = options.streamed ? path : mpi::broadcast(output::temporary_for(path), comm);
  m.guard = detail::CloseGuard(comm);

  // A create can fail on one rank only (its file system view): agreed, so all stop together.
  mpi::agree(comm, [&] {
    auto fapl = detail::mpio_file_access(comm, path);
    if (options.resume) {
      m.file = H5Handle(H5Fopen(path.c_str(), H5F_ACC_RDWR, fapl.get()), H5Fclose);
      if (!m.file.valid()) output::write_failed(path, "cannot reopen the file to continue it");
      m.dset = H5Handle(H5Dopen2(m.file.get(), options.dataset.c_str(), H5P_DEFAULT), H5Dclose);
      if (!m.dset.valid()) output::write_failed(path, "cannot reopen dataset '" + options.dataset + "'");
      H5Handle space(H5Dget_space(m.dset.get()), H5Sclose);
      hsize_t dims[4] = {0, 0, 0, 0};
      if (H5Sget_simple_extent_ndims(space.get()) != 4 || H5Sget_simple_extent_dims(space.get(), dims, nullptr) != 4 ||
          dims[0] != hsize_t(shape.n) || dims[1] != hsize_t(shape.c) || dims[2] != hsize_t(shape.h) ||
          dims[3] != hsize_t(shape.w))
        output::write_failed(path, "the file to continue does not have the shape of this run");
      return;
    }
    m.file = H5Handle(H5Fcreate(m.tmp_path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get()), H5Fclose);
    if (!m.file.valid()) output::write_failed(path, "cannot create the file");
    const hsize_t dims[4] = {hsize_t(shape.n), hsize_t(shape.c), hsize_t(shape.h), hsize_t(shape.w)};
    H5Handle space(H5Screate_simple(4, dims, nullptr), H5Sclose);
    H5Handle dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
    H5Pset_fill_time(dcpl.get(), H5D_FILL_TIME_NEVER);  // every element is written by some rank
    if (options.streamed) H5Pset_alloc_time(dcpl.get(), H5D_ALLOC_TIME_EARLY);
    m.dset = H5Handle(H5Dcreate2(m.file.get(), options.dataset.c_str(), H5T_IEEE_F32LE, space.get(), H5P_DEFAULT,
                                 dcpl.get(), H5P_DEFAULT),
                      H5Dclose);
    if (!m.dset.valid()) output::write_failed(path, "cannot create dataset '" + options.dataset + "'");
  });
  set_attribute("flex_version", FLEX_VERSION_STRING);
  if (!options.channel_names.empty()) {
    std::string joined;
    for (size_t i = 0; i < options.channel_names.size(); ++i) joined += (i ? "," : "") + options.channel_names[i];
    set_attribute("channels", joined);
  }
}

FieldWriter::~FieldWriter() {
  if (!impl_ || impl_->closed) return;
  // Abandoned (an error is unwinding): drop the partial file, keep any old one.
  auto& m = *impl_;
  const bool abandoned = m.guard.abandoning();
  if (abandoned) {
    m.dset.release(), m.file.release();
  } else {
    m.dset.reset(), m.file.reset();
  }
  if (m.options.streamed) return;  // what it holds up to its last flush stays valid
  if (m.rank == 0 || abandoned) {  // an abandoning rank may be the only one left to clean up
    std::error_code ec;
    std::filesystem::remove(m.tmp_path, ec);
  }
}

void FieldWriter::write(const Hyperslab& box, const float* data) {
  auto& m = *impl_;
  FLEX_CHECK(!m.closed, "write after close: " << m.path);
  detail::require_inside(box, m.shape, m.path);
  // A rank with nothing to write still joins the collective write: a valid buffer for its empty selection.
  const float none = 0;
  if (box.count() == 0) data = &none;
  H5Handle file_space(H5Dget_space(m.dset.get()), H5Sclose);
  H5Handle mem_space = detail::select(box, 4, file_space.get(), m.path);
  auto dxpl = detail::collective_transfer(m.path);
  // MPI-IO may fail on the aggregating rank alone: agreed, so no rank goes on alone.
  mpi::agree(m.comm, [&] {
    if (H5Dwrite(m.dset.get(), H5T_NATIVE_FLOAT, mem_space.get(), file_space.get(), dxpl.get(), data) < 0)
      output::write_failed(m.path, "writing dataset '" + m.options.dataset + "' failed");
  });
}

namespace {
// Attribute writes are collective metadata operations: agreed like data writes.
void agreed_attribute(MPI_Comm comm, const std::string& path, const std::function<void()>& write) {
  mpi::agree(comm, [&] {
    try {
      write();
    } catch (const InputError&) {
      output::write_failed(path, "writing an attribute failed");
    }
  });
}
}  // namespace

void FieldWriter::set_attribute(const std::string& name, double value) {
  agreed_attribute(impl_->comm, impl_->path,
                   [&] { detail::write_doubles(impl_->dset.get(), name, {value}, impl_->tmp_path); });
}
void FieldWriter::set_attribute(const std::string& name, const std::vector<double>& values) {
  FLEX_CHECK(!values.empty(), "empty attribute " << name);
  agreed_attribute(impl_->comm, impl_->path,
                   [&] { detail::write_doubles(impl_->dset.get(), name, values, impl_->tmp_path); });
}
void FieldWriter::set_attribute(const std::string& name, const std::string& value) {
  agreed_attribute(impl_->comm, impl_->path,
                   [&] { detail::write_string(impl_->dset.get(), name, value, impl_->tmp_path); });
}

void FieldWriter::flush() {
  auto& m = *impl_;
  FLEX_CHECK(!m.closed, "flush after close: " << m.path);
  mpi::agree(m.comm, [&] {
    if (H5Fflush(m.file.get(), H5F_SCOPE_GLOBAL) < 0) output::write_failed(m.path, "flushing the file failed");
  });
}

void FieldWriter::close() {
  auto& m = *impl_;
  if (m.closed) return;
  // Collective: all ranks' data is in the file after this. The final flush is
  // where a full disk often shows, so its status is checked and agreed.
  mpi::agree(m.comm, [&] {
    const herr_t d = m.dset.close(), f = m.file.close();
    if (d < 0 || f < 0) output::write_failed(m.path, "closing (flushing) the file failed");
  });
  m.closed = true;
  mpi::on_root(m.comm, [&] {
    if (!m.options.streamed) output::commit(m.tmp_path, m.path);
    if (m.options.write_xdmf) {
      const std::string name = std::filesystem::path(m.path).filename().string();
      output::write_text_atomic(output::sidecar(m.path, ".xmf"),
                                xdmf_text(name, m.options.dataset, m.shape, m.options.channel_names, m.options.dx,
                                          m.options.dy));
    }
  });
}

const std::string& FieldWriter::path() const { return impl_->path; }
FieldShape FieldWriter::shape() const { return impl_->shape; }

}  // namespace flex::io
