#include "hyperslab.hpp"

namespace flex::io::detail {

void require_inside(const Hyperslab& b, const FieldShape& s, const std::string& path) {
  auto ok = [](long start, long count, long extent) { return start >= 0 && count >= 0 && start + count <= extent; };
  // The pixels a strided axis spans: its first sample to its last.
  auto span = [&](long count) { return count > 0 ? (count - 1) * b.stride + 1 : 0; };
  FLEX_CHECK(b.stride >= 1, path << ": hyperslab stride " << b.stride);
  FLEX_REQUIRE(ok(b.n0, b.nn, s.n) && ok(b.c0, b.nc, s.c) && ok(b.h0, span(b.nh), s.h) && ok(b.w0, span(b.nw), s.w),
               path << ": requested block [" << b.n0 << "+" << b.nn << ", " << b.c0 << "+" << b.nc << ", " << b.h0
                    << "+" << b.nh << ", " << b.w0 << "+" << b.nw << "] lies outside the field of shape [" << s.n
                    << ", " << s.c << ", " << s.h << ", " << s.w << "]");
}

H5Handle select(const Hyperslab& b, int dataset_rank, hid_t file_space, const std::string& path) {
  const hsize_t count_total = static_cast<hsize_t>(b.count());
  if (count_total == 0) {
    H5Sselect_none(file_space);
    const hsize_t one = 1;
    H5Handle mem(H5Screate_simple(1, &one, nullptr), H5Sclose);
    H5Sselect_none(mem.get());
    return mem;
  }
  if (dataset_rank == 4) {
    const hsize_t start[4] = {hsize_t(b.n0), hsize_t(b.c0), hsize_t(b.h0), hsize_t(b.w0)};
    const hsize_t count[4] = {hsize_t(b.nn), hsize_t(b.nc), hsize_t(b.nh), hsize_t(b.nw)};
    const hsize_t stride[4] = {1, 1, hsize_t(b.stride), hsize_t(b.stride)};
    checked_status(H5Sselect_hyperslab(file_space, H5S_SELECT_SET, start, stride, count, nullptr), path,
                   "hyperslab selection");
  } else {
    FLEX_REQUIRE(b.c0 == 0 && b.nc == 1, path << ": a [T,H,W] dataset has a single channel");
    const hsize_t start[3] = {hsize_t(b.n0), hsize_t(b.h0), hsize_t(b.w0)};
    const hsize_t count[3] = {hsize_t(b.nn), hsize_t(b.nh), hsize_t(b.nw)};
    const hsize_t stride[3] = {1, hsize_t(b.stride), hsize_t(b.stride)};
    checked_status(H5Sselect_hyperslab(file_space, H5S_SELECT_SET, start, stride, count, nullptr), path,
                   "hyperslab selection");
  }
  return H5Handle(H5Screate_simple(1, &count_total, nullptr), H5Sclose);
}

}  // namespace flex::io::detail
