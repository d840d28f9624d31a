// Field files: HDF5 dataset `fields` [N, C, H, W] float32 (the SuperBench
// layout; real SuperBench files load as they are), FLEX-style `w` [T, H, W]
// (seen as C = 1) and the other layouts of io/layout.hpp, read (and, in the
// first layout, written) collectively through MPI-IO: each rank
// touches only its hyperslab (snapshot range, channel, row slab, patch).
// Writes go to a temporary file renamed into place by close(); every field
// file gets an XDMF sidecar so ParaView/VisIt open it.
#pragma once

#include <mpi.h>

#include <memory>
#include <string>
#include <vector>

#include "flex/io/layout.hpp"

namespace flex::io {

struct FieldShape {
  long n = 0, c = 0, h = 0, w = 0;  // snapshots, channels, rows (x), columns (y)
  long count() const { return n * c * h * w; }
};

// A box [n0, n0+nn) x [c0, c0+nc) x [h0, h0+nh) x [w0, w0+nw); data for it is
// contiguous in that order. A zero-size box is allowed (rank with no share).
struct Hyperslab {
  long n0 = 0, nn = 0, c0 = 0, nc = 0, h0 = 0, nh = 0, w0 = 0, nw = 0;
  // Along H and W: nh x nw samples every stride-th pixel from (h0, w0), so a
  // subsampled window reads only its samples (PDEBench reads the band they
  // span: its vorticity needs the neighbours).
  long stride = 1;
  long count() const { return nn * nc * nh * nw; }
  static Hyperslab all(const FieldShape& s) { return {0, s.n, 0, s.c, 0, s.h, 0, s.w}; }
  // Snapshots [n0, n0+nn), every channel, whole plane.
  static Hyperslab snapshots(const FieldShape& s, long n0, long nn) { return {n0, nn, 0, s.c, 0, s.h, 0, s.w}; }
};

// Read side. Opening is collective over `comm`; so is every read().
class FieldReader {
 public:
  // dataset "" picks `fields`, else `w`, else `velocity` (Format::Auto);
  // errors name the file and what is wrong.
  FieldReader(const std::string& path, MPI_Comm comm, const std::string& dataset = "");
  FieldReader(const std::string& path, MPI_Comm comm, const FieldLayout& layout);
  ~FieldReader();
  FieldReader(FieldReader&&) noexcept;
  FieldReader& operator=(FieldReader&&) noexcept;

  const std::string& path() const;
  const std::string& dataset() const;
  // The logical [N, C, H, W] view (ERA5 cropped, PDEBench one batch entry).
  FieldShape shape() const;
  Format format() const;  // as resolved, never Auto
  Periodicity periodicity() const;
  // The `channels` attribute when it names every channel, else the format's names.
  std::vector<std::string> channel_names() const;

  void read(const Hyperslab& box, float* out) const;
  std::vector<float> read(const Hyperslab& box) const;

  // Attributes of the dataset or, failing that, of the file root.
  bool has_attribute(const std::string& name) const;
  double attribute_double(const std::string& name) const;
  std::vector<double> attribute_doubles(const std::string& name) const;
  std::string attribute_string(const std::string& name) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct WriterOptions {
  std::string dataset = "fields";
  bool overwrite = false;  // an existing file is an error unless set
  std::vector<std::string> channel_names;  // e.g. {"u", "v", "w"}; stored as attribute
  double dx = 1.0, dy = 1.0;  // grid spacing for the XDMF sidecar
  bool write_xdmf = true;
  // Written in place under its own name, no temporary: every flush() leaves a
  // valid file holding what was written so far, which a crash keeps (the
  // data set is allocated up front, so later writes touch no metadata).
  bool streamed = false;
  // streamed: open the existing file at `path` (its shape must be `shape`)
  // and go on writing into it, as a restarted run does.
  bool resume = false;
};

// Write side. Construction, write(), set_attribute() and close() are collective.
class FieldWriter {
 public:
  FieldWriter(const std::string& path, MPI_Comm comm, const FieldShape& shape, const WriterOptions& options = {});
  ~FieldWriter();  // not closed: the temporary file is removed, nothing replaced (streamed: the file stays)
  FieldWriter(const FieldWriter&) = delete;
  FieldWriter& operator=(const FieldWriter&) = delete;

  void write(const Hyperslab& box, const float* data);
  // Same value on every rank; written once.
  void set_attribute(const std::string& name, double value);
  void set_attribute(const std::string& name, const std::vector<double>& values);
  void set_attribute(const std::string& name, const std::string& value);
  // Collective: everything written so far is on disk (streamed files).
  void flush();
  // Flush, rename the temporary file onto `path` (not streamed), write the XDMF sidecar.
  void close();

  const std::string& path() const;
  FieldShape shape() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Small arrays of any rank (fixtures, metadata), read whole on the calling
// rank without MPI-IO. Shape outermost first.
struct Array {
  std::vector<long> shape;
  std::vector<float> data;
  long numel() const;
};
Array read_array(const std::string& path, const std::string& dataset);
bool has_dataset(const std::string& path, const std::string& dataset);
// File-root or dataset attribute as double / string, serial.
double read_attribute_double(const std::string& path, const std::string& object, const std::string& name);
std::vector<double> read_attribute_doubles(const std::string& path, const std::string& object, const std::string& name);
std::string read_attribute_string(const std::string& path, const std::string& object, const std::string& name);

// XDMF 2DCoRectMesh description of every snapshot/channel of a field file.
std::string xdmf_text(const std::string& h5_filename, const std::string& dataset, const FieldShape& shape,
                      const std::vector<std::string>& channel_names, double dx, double dy);

}  // namespace flex::io
