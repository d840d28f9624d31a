#include "slab_fft.hpp"

#include <fftw3-mpi.h>

#include <type_traits>

#include "flex/core/collectives.hpp"
#include "flex/core/error.hpp"
#include "flex/dns/fftw_mpi_init.hpp"
#include "policy.hpp"
#include "rows.hpp"

#if defined(KOKKOS_ENABLE_CUDA)
#include <cufft.h>
#endif

namespace flex::analysis {

namespace {
using HostView = Kokkos::View<const double** [2], Kokkos::LayoutRight, Kokkos::HostSpace, Unmanaged>;
}  // namespace

struct SlabFft::Impl {
  MPI_Comm comm = MPI_COMM_WORLD;
  ptrdiff_t n0 = 0, start0 = 0, n1 = 0, start1 = 0;  // FFTW's input rows and (transposed) output ky rows
  long stride = 0;                                    // padded real row length 2 (W/2 + 1)
  double* buffer = nullptr;
  fftw_plan plan = nullptr;
  Kokkos::View<double** [2], Kokkos::LayoutRight, MemSpace> device_copy;  // only when MemSpace is not host
#if defined(KOKKOS_ENABLE_CUDA)
  bool on_device = false;  // one rank: cuFFT on the device, no host staging
  cufftHandle cu_plan = 0;
  Kokkos::View<double**, Kokkos::LayoutRight, MemSpace> cu_in;
  Kokkos::View<double** [2], Kokkos::LayoutRight, MemSpace> cu_out;
#endif
};

SlabFft::SlabFft(long rows, long cols, MPI_Comm comm) : impl_(std::make_unique<Impl>()), rows_(rows), cols_(cols) {
  FLEX_CHECK(rows > 0 && cols > 0, "SlabFft: empty field " << rows << "x" << cols);
  Impl& m = *impl_;
  m.comm = comm;
#if defined(KOKKOS_ENABLE_CUDA)
  int size = 1;
  FLEX_CHECK_MPI(MPI_Comm_size(comm, &size));
  if (size == 1) {
    m.on_device = true;
    m.cu_in = decltype(m.cu_in)("analysis::fft_in", rows, cols);
    m.cu_out = decltype(m.cu_out)("analysis::fft_out", rows, cols / 2 + 1);
    FLEX_CHECK(cufftPlan2d(&m.cu_plan, static_cast<int>(rows), static_cast<int>(cols), CUFFT_D2Z) == CUFFT_SUCCESS,
               "cufftPlan2d failed for " << rows << "x" << cols);
    return;
  }
#endif
  dns::init_fftw_mpi();
  const ptrdiff_t half = cols / 2 + 1;
  const ptrdiff_t alloc =
      fftw_mpi_local_size_2d_transposed(rows, half, comm, &m.n0, &m.start0, &m.n1, &m.start1);
  m.stride = 2 * half;
  m.buffer = fftw_alloc_real(static_cast<size_t>(2 * (alloc > 0 ? alloc : 1)));
  FLEX_CHECK(m.buffer != nullptr, "SlabFft: out of memory for a " << rows << "x" << cols << " transform");
  // In place, padded rows (FFTW-MPI r2c layout), output transposed to skip the last all-to-all.
  m.plan = fftw_mpi_plan_dft_r2c_2d(rows, cols, m.buffer, reinterpret_cast<fftw_complex*>(m.buffer), comm,
                                    FFTW_ESTIMATE | FFTW_MPI_TRANSPOSED_OUT);
  FLEX_CHECK(m.plan != nullptr, "FFTW-MPI could not plan a " << rows << "x" << cols << " transform");
}

SlabFft::~SlabFft() {
#if defined(KOKKOS_ENABLE_CUDA)
  if (impl_->on_device) cufftDestroy(impl_->cu_plan);
#endif
  if (impl_->plan) fftw_destroy_plan(impl_->plan);
  if (impl_->buffer) fftw_free(impl_->buffer);
}

void SlabFft::load(const SlabView& field) {
  FLEX_CHECK(field.global_rows == rows_ && field.cols() == cols_,
             "SlabFft: field " << field.global_rows << "x" << field.cols() << " loaded into a " << rows_ << "x"
                               << cols_ << " transform");
  Impl& m = *impl_;
#if defined(KOKKOS_ENABLE_CUDA)
  if (m.on_device) {
    const auto src = field.local;
    const auto dst = m.cu_in;
    const long cols = cols_;
    Kokkos::parallel_for(
        "analysis::fft_load", over_plane(rows_, cols),
        KOKKOS_LAMBDA(const long r, const long c) { dst(r, c) = src(r, c); });
    return;
  }
#endif
  // Re-slab only when the caller's split differs from FFTW's on some rank.
  const bool mine_matches = field.row0 == m.start0 && field.rows() == m.n0;
  ConstPlane src = field.local;
  Rows fetched;
  if (mpi::any(!mine_matches, m.comm)) {
    fetched = fetch_rows(field, m.start0, m.n0, false);
    src = fetched;
  }
  const auto host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), src);
  double* buffer = m.buffer;
  const long cols = cols_, stride = m.stride;
  Kokkos::parallel_for(
      "analysis::fft_load",
      Kokkos::MDRangePolicy<Kokkos::DefaultHostExecutionSpace, Kokkos::Rank<2>, Kokkos::IndexType<long>>(
          {0, 0}, {static_cast<long>(m.n0), cols}),
      [=](const long r, const long c) { buffer[r * stride + c] = host(r, c); });
}

HalfSpectrum SlabFft::execute() {
  Impl& m = *impl_;
#if defined(KOKKOS_ENABLE_CUDA)
  if (m.on_device) {
    ExecSpace().fence();
    FLEX_CHECK(cufftExecD2Z(m.cu_plan, m.cu_in.data(), reinterpret_cast<cufftDoubleComplex*>(m.cu_out.data())) ==
                   CUFFT_SUCCESS,
               "cufftExecD2Z failed");
    return {m.cu_out, false, 0};
  }
#endif
  fftw_execute(m.plan);
  HostView out(m.buffer, static_cast<size_t>(m.n1), static_cast<size_t>(rows_));
  if constexpr (std::is_same<MemSpace, Kokkos::HostSpace>::value) {
    return {out, true, static_cast<long>(m.start1)};
  } else {
    if (m.device_copy.extent(0) != out.extent(0) || m.device_copy.extent(1) != out.extent(1))
      m.device_copy = decltype(m.device_copy)("analysis::fft_out", out.extent(0), out.extent(1));
    Kokkos::deep_copy(m.device_copy, out);
    return {m.device_copy, true, static_cast<long>(m.start1)};
  }
}

}  // namespace flex::analysis
