// Private to io/: mapping a Hyperslab onto HDF5 dataspace selections.
#pragma once

#include <hdf5.h>

#include <string>

#include "flex/io/fields.hpp"
#include "h5_handle.hpp"

namespace flex::io::detail {

void require_inside(const Hyperslab& box, const FieldShape& shape, const std::string& path);

// Selects `box` in `file_space` (a rank-4 or rank-3 dataset; rank 3 means
// C = 1) and returns the matching contiguous memory space. An empty box
// selects nothing, so ranks without a share still join collective I/O.
H5Handle select(const Hyperslab& box, int dataset_rank, hid_t file_space, const std::string& path);

}  // namespace flex::io::detail
