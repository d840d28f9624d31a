#include "flex/data/field_source.hpp"

#include <torch/torch.h>

#include <mutex>

#include "flex/core/error.hpp"
#include "flex/io/fields.hpp"

namespace flex::data {
namespace {

// HDF5 builds are rarely thread-safe: every read from any loader thread goes
// through this lock.
std::mutex& hdf5_mutex() {
  static std::mutex m;
  return m;
}

// Calls read(r0, nr, c0, nc, out_rows, out_cols) for each contiguous piece of
// a wrapped window, with r0/c0 inside the field.
template <class Read>
void for_each_piece(std::int64_t row0, std::int64_t nrows, std::int64_t col0, std::int64_t ncols, std::int64_t h,
                    std::int64_t w, Read&& read) {
  for (std::int64_t done_r = 0; done_r < nrows;) {
    const std::int64_t r = ((row0 + done_r) % h + h) % h, nr = std::min(h - r, nrows - done_r);
    for (std::int64_t done_c = 0; done_c < ncols;) {
      const std::int64_t c = ((col0 + done_c) % w + w) % w, nc = std::min(w - c, ncols - done_c);
      read(r, nr, c, nc, done_r, done_c);
      done_c += nc;
    }
    done_r += nr;
  }
}

class FileSource : public FieldSource {
 public:
  FileSource(const std::string& path, const io::FieldLayout& layout) {
    std::lock_guard<std::mutex> lock(hdf5_mutex());
    reader_ = std::make_unique<io::FieldReader>(path, MPI_COMM_SELF, layout);
    shape_ = reader_->shape();
    if (reader_->has_attribute("Re")) reynolds_ = reader_->attribute_double("Re");
    channel_names_ = reader_->channel_names();
  }
  std::int64_t snapshots() const override { return shape_.n; }
  std::int64_t channels() const override { return shape_.c; }
  std::int64_t rows() const override { return shape_.h; }
  std::int64_t cols() const override { return shape_.w; }
  double reynolds() const override { return reynolds_; }
  std::string name() const override { return reader_->path(); }
  std::vector<std::string> channel_names() const override { return channel_names_; }
  io::Periodicity periodicity() const override { return reader_->periodicity(); }

  at::Tensor read_window(std::int64_t n, std::int64_t c, std::int64_t row0, std::int64_t nrows, std::int64_t col0,
                         std::int64_t ncols) const override {
    FLEX_CHECK(n >= 0 && n < shape_.n && c >= 0 && c < shape_.c, "read_window: snapshot/channel out of range");
    auto out = torch::empty({nrows, ncols}, torch::kFloat);
    std::lock_guard<std::mutex> lock(hdf5_mutex());
    for_each_piece(row0, nrows, col0, ncols, shape_.h, shape_.w,
                   [&](std::int64_t r, std::int64_t nr, std::int64_t cc, std::int64_t nc, std::int64_t orow,
                       std::int64_t ocol) {
                     io::Hyperslab box{n, 1, c, 1, r, nr, cc, nc};
                     if (ocol == 0 && nc == ncols) {
                       reader_->read(box, out.data_ptr<float>() + orow * ncols);  // rows are contiguous in `out`
                     } else {
                       auto piece = torch::empty({nr, nc}, torch::kFloat);
                       reader_->read(box, piece.data_ptr<float>());
                       out.narrow(0, orow, nr).narrow(1, ocol, nc).copy_(piece);
                     }
                   });
    return out;
  }

 private:
  std::unique_ptr<io::FieldReader> reader_;
  io::FieldShape shape_;
  double reynolds_ = 0.0;
  std::vector<std::string> channel_names_;
};

class TensorSource : public FieldSource {
 public:
  TensorSource(at::Tensor fields, double re, std::string name)
      : fields_(std::move(fields)), reynolds_(re), name_(std::move(name)) {
    FLEX_CHECK(fields_.dim() == 4, "tensor_source needs [N, C, H, W]");
    fields_ = fields_.to(torch::kFloat).contiguous();
  }
  std::int64_t snapshots() const override { return fields_.size(0); }
  std::int64_t channels() const override { return fields_.size(1); }
  std::int64_t rows() const override { return fields_.size(2); }
  std::int64_t cols() const override { return fields_.size(3); }
  double reynolds() const override { return reynolds_; }
  std::string name() const override { return name_; }
  // The layouts' default names: u, v, w for three channels (io/layout.hpp).
  std::vector<std::string> channel_names() const override {
    return io::default_channel_names(io::Format::SuperBench, channels());
  }
  at::Tensor read_window(std::int64_t n, std::int64_t c, std::int64_t row0, std::int64_t nrows, std::int64_t col0,
                         std::int64_t ncols) const override {
    auto plane = fields_[n][c];
    auto rows = torch::remainder(torch::arange(row0, row0 + nrows, torch::kLong), rows_());
    auto cols = torch::remainder(torch::arange(col0, col0 + ncols, torch::kLong), cols_());
    return plane.index_select(0, rows).index_select(1, cols).contiguous();
  }

 private:
  std::int64_t rows_() const { return fields_.size(2); }
  std::int64_t cols_() const { return fields_.size(3); }
  at::Tensor fields_;
  double reynolds_;
  std::string name_;
};

}  // namespace

std::unique_ptr<FieldSource> open_field_file(const std::string& path, const io::FieldLayout& layout) {
  return std::make_unique<FileSource>(path, layout);
}

std::unique_ptr<FieldSource> tensor_source(at::Tensor fields, double reynolds, std::string name) {
  return std::make_unique<TensorSource>(std::move(fields), reynolds, std::move(name));
}

}  // namespace flex::data
