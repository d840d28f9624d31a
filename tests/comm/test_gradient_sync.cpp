// Data parallel = large batch: 2 ranks with batch b each end with the
// parameters of 1 rank with batch 2b (rank 0 runs that reference on
// MPI_COMM_SELF inside the same test), for any bucket size, with and without
// overlap, and with gradient accumulation.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "flex/comm/communicator.hpp"
#include "flex/comm/gradient_sync.hpp"

using namespace flex;

namespace {

struct NetImpl : torch::nn::Module {
  NetImpl() {
    conv1 = register_module("conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(1, 4, 3).padding(1)));
    conv2 = register_module("conv2", torch::nn::Conv2d(torch::nn::Conv2dOptions(4, 2, 3).padding(1)));
    head = register_module("head", torch::nn::Linear(2 * 8 * 8, 3));
    unused = register_module("unused", torch::nn::Linear(5, 5));  // gets no gradient: must stay untouched
  }
  torch::Tensor forward(torch::Tensor x) {
    x = torch::tanh(conv1(x));
    x = torch::tanh(conv2(x));
    return head(x.flatten(1));
  }
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr};
  torch::nn::Linear head{nullptr}, unused{nullptr};
};
TORCH_MODULE(Net);

struct Data {
  torch::Tensor x, y;
};
Data global_batch(int step, int batch) {
  torch::manual_seed(1000 + step);
  return {torch::randn({batch, 1, 8, 8}), torch::randn({batch, 3})};
}

// Trains `steps` SGD-with-momentum steps; each rank of `mpi` takes its
// contiguous share of the global batch, split into `micro` micro-batches.
std::vector<torch::Tensor> train(MPI_Comm mpi, int global, int steps, std::size_t bucket_bytes, bool overlap,
                                 int micro) {
  int rank = 0, size = 1;
  MPI_Comm_rank(mpi, &rank);
  MPI_Comm_size(mpi, &size);
  torch::manual_seed(7 + rank);  // different initial weights per rank: the broadcast must fix them
  Net net;
  auto comm = comm::make_mpi_communicator(mpi);
  comm::GradientSync sync(net->parameters(), *comm, {bucket_bytes, overlap});
  sync.broadcast_parameters();
  torch::optim::SGD opt(net->parameters(), torch::optim::SGDOptions(0.05).momentum(0.9));
  const int local = global / size, per_micro = local / micro;
  for (int s = 0; s < steps; ++s) {
    Data d = global_batch(s, global);
    opt.zero_grad();
    for (int m = 0; m < micro; ++m) {
      auto x = d.x.narrow(0, rank * local + m * per_micro, per_micro);
      auto y = d.y.narrow(0, rank * local + m * per_micro, per_micro);
      sync.prepare(m == micro - 1);
      auto loss = torch::mse_loss(net->forward(x), y) / micro;
      loss.backward();
      sync.finish();
    }
    EXPECT_FALSE(net->unused->weight.grad().defined());
    opt.step();
  }
  std::vector<torch::Tensor> out;
  for (auto& p : net->parameters()) out.push_back(p.detach().clone());
  return out;
}

void expect_same(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    const double rel = (a[i] - b[i]).norm().item<double>() / (b[i].norm().item<double>() + 1e-30);
    EXPECT_LT(rel, 1e-5) << "parameter " << i;
  }
}

}  // namespace

class GradientSyncEquivalence : public ::testing::TestWithParam<std::tuple<std::size_t, bool, int>> {};

TEST_P(GradientSyncEquivalence, TwoRanksMatchOneRankWithDoubleBatch) {
  const auto [bucket_bytes, overlap, micro] = GetParam();
  const int steps = 4, global = 8;
  auto dp = train(MPI_COMM_WORLD, global, steps, bucket_bytes, overlap, micro);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (rank == 0) {
    auto reference = train(MPI_COMM_SELF, global, steps, 1u << 30, false, 1);
    expect_same(dp, reference);
  }
  // Every rank holds the same parameters.
  for (auto& p : dp) {
    auto q = p.clone();
    MPI_Bcast(q.data_ptr(), static_cast<int>(q.numel()), MPI_FLOAT, 0, MPI_COMM_WORLD);
    EXPECT_TRUE(torch::equal(p, q));
  }
}

INSTANTIATE_TEST_SUITE_P(Buckets, GradientSyncEquivalence,
                         ::testing::Values(std::make_tuple(std::size_t{1}, true, 1),  // one parameter per bucket
                                           std::make_tuple(std::size_t{600}, true, 1),
                                           std::make_tuple(std::size_t{1} << 20, true, 1),
                                           std::make_tuple(std::size_t{600}, false, 1),
                                           std::make_tuple(std::size_t{600}, true, 2)));  // accumulation

TEST(GradientSync, BucketsRespectTheBound) {
  auto comm = comm::make_mpi_communicator(MPI_COMM_WORLD);
  std::vector<torch::Tensor> ps = {torch::zeros({100}, torch::requires_grad()), torch::zeros({100}, torch::requires_grad()),
                                   torch::zeros({300}, torch::requires_grad())};
  EXPECT_EQ(comm::GradientSync(ps, *comm, {800, false}).bucket_count(), 2u);  // {300}, {100,100}
  EXPECT_EQ(comm::GradientSync(ps, *comm, {1, false}).bucket_count(), 3u);
  EXPECT_EQ(comm::GradientSync(ps, *comm, {1u << 20, false}).bucket_count(), 1u);
}
