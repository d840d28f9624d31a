// Where training fields come from: a field file read through parallel HDF5
// (each rank reads only the windows its samples need, on MPI_COMM_SELF, so
// the prefetch thread never joins a collective), or a tensor in memory
// (tests, benchmarks). Windows wrap around the periodic box.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "flex/io/layout.hpp"

namespace flex::data {

class FieldSource {
 public:
  virtual ~FieldSource() = default;
  virtual std::int64_t snapshots() const = 0;
  virtual std::int64_t channels() const = 0;
  virtual std::int64_t rows() const = 0;
  virtual std::int64_t cols() const = 0;
  // Reynolds number of the run (attribute `Re`); 0 when the file has none.
  virtual double reynolds() const = 0;
  virtual std::string name() const = 0;
  // One per channel, as the file names them (FieldReader::channel_names).
  virtual std::vector<std::string> channel_names() const = 0;
  // Axes that wrap; a patch never crosses the edge of one that does not.
  virtual io::Periodicity periodicity() const { return {}; }
  // Rows row0 + [0, nrows) and columns col0 + [0, ncols) of one channel of
  // one snapshot, indices modulo the field size: float32 [nrows, ncols].
  virtual at::Tensor read_window(std::int64_t snapshot, std::int64_t channel, std::int64_t row0, std::int64_t nrows,
                                 std::int64_t col0, std::int64_t ncols) const = 0;
};

// Any layout io::FieldReader reads (io/layout.hpp).
std::unique_ptr<FieldSource> open_field_file(const std::string& path, const io::FieldLayout& layout = {});
// fields [N, C, H, W] float32 on the CPU.
std::unique_ptr<FieldSource> tensor_source(at::Tensor fields, double reynolds, std::string name = "memory");

}  // namespace flex::data
