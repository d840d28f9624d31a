#include "flex/infer/score.hpp"

#include <torch/torch.h>

#include <type_traits>

#include "flex/analysis/metrics.hpp"
#include "flex/core/error.hpp"

namespace flex::infer {

namespace {

using DevicePlane = Kokkos::View<float**, Kokkos::LayoutRight, analysis::MemSpace>;

// `plane` (contiguous float32 on the CPU) where the kernels read: the tensor's
// own buffer on the host, one copy into `copy` for a device build of Kokkos.
analysis::ConstPlane in_kernel_memory(const at::Tensor& plane, DevicePlane& copy) {
  const long rows = plane.size(0), cols = plane.size(1);
  const float* data = plane.data_ptr<float>();
  if constexpr (std::is_same<analysis::MemSpace, Kokkos::HostSpace>::value) {
    return analysis::wrap_plane(data, rows, cols);
  } else {
    copy = DevicePlane(Kokkos::view_alloc(Kokkos::WithoutInitializing, "infer::score"), rows, cols);
    Kokkos::deep_copy(copy, Kokkos::View<const float**, Kokkos::LayoutRight, Kokkos::HostSpace, analysis::Unmanaged>(
                                data, rows, cols));
    return analysis::wrap_plane(copy.data(), rows, cols);
  }
}

}  // namespace

PlaneScore score(const at::Tensor& prediction, const at::Tensor& truth, MPI_Comm parts) {
  FLEX_CHECK((prediction.dim() == 2 || prediction.dim() == 3) && prediction.sizes() == truth.sizes(),
             "score: prediction " << prediction.sizes() << " and truth " << truth.sizes()
                                  << " must be equal [H, W] or [C, H, W]");
  const auto plane = [](const at::Tensor& x) {  // explicit rows: an empty block has no -1 to infer
    const auto cols = x.size(-1);
    return x.to(torch::kCPU, torch::kFloat32).reshape({cols > 0 ? x.numel() / cols : 0, cols}).contiguous();
  };
  const auto p = plane(prediction), y = plane(truth);
  DevicePlane p_copy, y_copy;
  // MPI_COMM_SELF: every rank holds the whole plane and scores it as is (over
  // the job's communicator each rank's copy would count again); otherwise the
  // kernels' sums run over the parts.
  const long rows = y.size(0);
  const analysis::SlabView ys{in_kernel_memory(y, y_copy), 0, rows, parts};
  const analysis::SlabView ps{in_kernel_memory(p, p_copy), 0, rows, parts};
  const auto m = analysis::pair_metrics(ys, ps);
  return {m.rfne, m.pcc};
}

}  // namespace flex::infer
