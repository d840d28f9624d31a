#include <gtest/gtest.h>
#include <torch/torch.h>

#include "flex/comm/communicator.hpp"
#include "flex/comm/runtime.hpp"
#include "flex/config.hpp"
#include "flex/core/error.hpp"

using namespace flex;

TEST(Communicator, MpiMeanSumBroadcast) {
  auto comm = comm::make_communicator(MPI_COMM_WORLD, c10::Device(c10::kCPU));
  const int r = comm->rank(), n = comm->size();
  EXPECT_EQ(comm->backend(), "mpi");

  auto t = torch::arange(5, torch::kDouble) + r;  // mean over ranks: arange + (n-1)/2
  comm->allreduce_mean(t);
  EXPECT_TRUE(torch::allclose(t, torch::arange(5, torch::kDouble) + (n - 1) / 2.0));

  auto s = torch::full({3}, r + 1, torch::kLong);  // sum 1..n
  comm->allreduce_sum(s);
  EXPECT_EQ(s[2].item<long>(), n * (n + 1) / 2);

  auto b = torch::full({4}, static_cast<float>(r), torch::kFloat);
  comm->broadcast(b, n - 1);
  EXPECT_EQ(b[0].item<float>(), static_cast<float>(n - 1));
}

TEST(Communicator, AsyncMeanCompletesOnWait) {
  auto comm = comm::make_mpi_communicator(MPI_COMM_WORLD);
  std::vector<torch::Tensor> ts;
  std::vector<std::unique_ptr<comm::Work>> works;
  for (int i = 0; i < 3; ++i) {
    ts.push_back(torch::full({7}, static_cast<float>(comm->rank() * (i + 1))));
    works.push_back(comm->allreduce_mean_async(ts.back()));
  }
  for (auto& w : works) w->wait();
  const float mean_rank = (comm->size() - 1) / 2.0f;
  for (int i = 0; i < 3; ++i) EXPECT_FLOAT_EQ(ts[i][6].item<float>(), mean_rank * (i + 1));
}

TEST(Communicator, CpuRejectsNonContiguous) {
  auto comm = comm::make_mpi_communicator(MPI_COMM_WORLD);
  auto t = torch::zeros({4, 4}).t();
  EXPECT_THROW(comm->allreduce_sum(t), Error);
}

TEST(Communicator, DeviceTensorsNeedNcclOrFailClearly) {
  if (torch::cuda::is_available()) GTEST_SKIP() << "a CUDA device is present: covered by the GPU run";
  // Without a device the CUDA path must fail with an error, never hang or crash.
  EXPECT_THROW(comm::make_communicator(MPI_COMM_WORLD, c10::Device(c10::kCUDA, 0)), Error);
}

// run.device = cuda (bench/gpu/check.sh runs this where a GPU is): NCCL on the
// node-local GPU gives the MPI backend's results, synchronously and async.
TEST(Communicator, NcclOnDeviceMatchesMpi) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  if (!FLEX_HAVE_NCCL) GTEST_SKIP() << "built without NCCL";
  const c10::Device device(c10::kCUDA, static_cast<c10::DeviceIndex>(comm::local_rank(MPI_COMM_WORLD) %
                                                                     torch::cuda::device_count()));
  auto nccl = comm::make_communicator(MPI_COMM_WORLD, device);
  auto mpi = comm::make_mpi_communicator(MPI_COMM_WORLD);
  EXPECT_EQ(nccl->backend(), "nccl");
  const int r = nccl->rank();

  auto host = torch::linspace(-1, 1, 1 << 20, torch::kFloat) * (r + 1);
  auto dev = host.to(device);
  mpi->allreduce_sum(host);
  nccl->allreduce_sum(dev);
  EXPECT_TRUE(torch::allclose(dev.cpu(), host, 1e-6, 1e-6));

  std::vector<torch::Tensor> ts;
  std::vector<std::unique_ptr<comm::Work>> works;
  for (int i = 0; i < 3; ++i) {
    ts.push_back(torch::full({1000}, static_cast<double>(r * (i + 1)), torch::TensorOptions(device).dtype(torch::kDouble)));
    works.push_back(nccl->allreduce_mean_async(ts.back()));
  }
  for (auto& w : works) w->wait();
  const double mean_rank = (nccl->size() - 1) / 2.0;
  for (int i = 0; i < 3; ++i) EXPECT_DOUBLE_EQ(ts[i][999].item<double>(), mean_rank * (i + 1));

  auto b = torch::full({4}, static_cast<float>(r), torch::TensorOptions(device));
  nccl->broadcast(b, nccl->size() - 1);
  EXPECT_EQ(b[0].item<float>(), static_cast<float>(nccl->size() - 1));
}
