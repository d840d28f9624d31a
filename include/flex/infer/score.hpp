// How close a predicted plane is to the truth, scored by the analysis kernels
// `flex analyze` uses (SPEC §6), so inference progress lines, the validation
// suite and the analysis report agree to round-off.
#pragma once

#include <ATen/core/Tensor.h>
#include <mpi.h>

namespace flex::infer {

struct PlaneScore {
  double rfne = 0;  // ||prediction - truth|| / ||truth||
  double pcc = 0;   // Pearson correlation
};

// prediction, truth: [H, W] or [C, H, W]; several channels are scored
// together, as one plane of C*H rows. `parts`: MPI_COMM_SELF when every rank
// holds the whole field; a communicator whose ranks each hold a part (their
// blocks, possibly empty) to score the whole field they make up (collective).
PlaneScore score(const at::Tensor& prediction, const at::Tensor& truth, MPI_Comm parts = MPI_COMM_SELF);

}  // namespace flex::infer
