// The training loop on a tiny module: a run stopped by a signal and resumed
// from its checkpoint ends bit for bit where the uninterrupted run ends (joint
// and alternate multitask updates);
// non-finite losses are skipped on every rank, then the last checkpoint is
// reloaded with a lower learning rate; a fresh run can start from a state dict.
#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>

#include "flex/comm/communicator.hpp"
#include "flex/core/collectives.hpp"
#include "flex/data/dataset.hpp"
#include "flex/model/state_dict.hpp"
#include "flex/train/checkpoint.hpp"
#include "flex/train/loss_scale.hpp"
#include "flex/train/trainer.hpp"

using namespace flex;

namespace {

struct TinyImpl : torch::nn::Module {
  TinyImpl() {
    conv = register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(1, 1, 3).padding(1)));
    drop = register_module("drop", torch::nn::Dropout(0.2));
  }
  torch::Tensor forward(const torch::Tensor& x) { return conv(drop(x.narrow(1, 0, 1))); }
  torch::nn::Conv2d conv{nullptr};
  torch::nn::Dropout drop{nullptr};
};
TORCH_MODULE(Tiny);

class TinyModel : public train::TrainModel {
 public:
  explicit TinyModel(int init_seed = 1) {
    torch::manual_seed(init_seed);
    net = Tiny();
  }
  torch::nn::Module& module() override { return *net; }
  at::Tensor loss(const data::Batch& b, std::uint64_t seed) override {
    ++calls;
    if (calls == signal_at) std::raise(SIGUSR1);
    auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
    auto noise = torch::randn(b.residual.sizes(), gen) * 0.01;
    auto l = (net->forward(b.input) + noise - b.residual).abs().mean();
    if (calls >= nan_from && calls < nan_to) l = l * std::numeric_limits<double>::quiet_NaN();
    // A finite loss whose gradient is NaN (d sqrt(u)/du = inf at u = 0, times
    // 0): what an fp16 gradient overflow looks like to the trainer.
    if (calls >= nan_grad_from && calls < nan_grad_to) l = l + (net->conv->weight.sum() * 0).abs().sqrt();
    return l;
  }
  at::Tensor predict_residual(const data::Batch& b, std::uint64_t) override { return net->forward(b.input); }
  Tiny net{nullptr};
  int calls = 0, signal_at = -1, nan_from = -1, nan_to = -1, nan_grad_from = -1, nan_grad_to = -1;
};

std::string shared_dir(const std::string& tag) {
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  std::string dir = "/tmp/flex_train_test_" + tag + "_" + std::to_string(getpid());
  dir = mpi::broadcast(dir, MPI_COMM_WORLD);
  if (rank == 0) std::filesystem::remove_all(dir);
  MPI_Barrier(MPI_COMM_WORLD);
  return dir;
}

struct Fixture {
  Fixture() {
    torch::manual_seed(3);
    auto f = torch::randn({24, 1, 16, 16});
    src = data::tensor_source(f, 4000);
    data::SampleConfig c;
    c.channels = {0};
    c.patch = 8;
    c.factor = 4;
    c.norm_std = {1.0};
    sr = std::make_unique<data::Dataset>(std::vector<data::SourceEntry>{{src, 4000, data::select_snapshots("even", 24, "t")}},
                                         Task::SuperResolution, c);
    fc = std::make_unique<data::Dataset>(std::vector<data::SourceEntry>{{src, 4000, data::select_snapshots("even", 24, "t")}},
                                         Task::Forecast, c);
    valid = std::make_unique<data::Dataset>(std::vector<data::SourceEntry>{{src, 4000, data::select_snapshots("odd", 24, "t")}},
                                            Task::SuperResolution, c);
  }
  train::TrainOptions options(const std::string& dir) const {
    train::TrainOptions o;
    o.batch = 2;
    o.steps = 8;
    o.lr = {1e-2, 1e-4, 2, 0};
    o.seed = 99;
    o.output_dir = dir;
    o.checkpoint_every = 0;
    o.log_every = 4;
    o.validation_batches = 1;
    o.export_name = "";
    return o;
  }
  std::shared_ptr<const data::FieldSource> src;
  std::unique_ptr<data::Dataset> sr, fc, valid;
};

std::vector<torch::Tensor> weights(TinyModel& m) {
  std::vector<torch::Tensor> out;
  for (auto& p : m.net->parameters()) out.push_back(p.detach().clone());
  return out;
}

}  // namespace

// Both multitask modes (train.mt_update): either way a step makes two loss calls, SR and FC.
class TrainLoopModes : public ::testing::TestWithParam<train::MultitaskUpdate> {};

TEST_P(TrainLoopModes, SignalCheckpointAndResumeIsBitForBit) {
  Fixture fx;
  auto comm = comm::make_mpi_communicator(MPI_COMM_WORLD);
  const std::string mode = train::multitask_update_name(GetParam());
  auto options = [&](const std::string& dir) {
    auto o = fx.options(dir);
    o.mt_update = GetParam();
    return o;
  };
  TinyModel straight;
  {
    train::Trainer t(straight, *comm, MPI_COMM_WORLD, {fx.sr.get(), fx.fc.get()}, {fx.valid.get()},
                     options(shared_dir("straight_" + mode)));
    auto r = t.run();
    EXPECT_EQ(r.steps_done, 8);
    EXPECT_FALSE(r.stopped_by_signal);
    EXPECT_TRUE(r.last.count("rfne_sr"));
  }
  const std::string dir = shared_dir("resumed_" + mode);
  {
    TinyModel first;
    first.signal_at = 7;  // during step 3 (two loss calls per step): checkpoint at step 4
    train::Trainer t(first, *comm, MPI_COMM_WORLD, {fx.sr.get(), fx.fc.get()}, {fx.valid.get()}, options(dir));
    auto r = t.run();
    EXPECT_TRUE(r.stopped_by_signal);
    EXPECT_EQ(r.steps_done, 4);
    EXPECT_TRUE(std::filesystem::exists(dir + "/checkpoints/chk00000004/state.json"));
  }
  TinyModel second(5);  // other weights: everything must come from the checkpoint
  train::Trainer t(second, *comm, MPI_COMM_WORLD, {fx.sr.get(), fx.fc.get()}, {fx.valid.get()}, options(dir));
  auto r = t.run();
  EXPECT_EQ(r.steps_done, 8);
  EXPECT_EQ(second.calls, 8);  // resumed at step 4: 4 steps x 2 tasks
  auto a = weights(straight), b = weights(second);
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(torch::equal(a[i], b[i])) << "parameter " << i;
}

INSTANTIATE_TEST_SUITE_P(TrainLoop, TrainLoopModes,
                         ::testing::Values(train::MultitaskUpdate::Joint, train::MultitaskUpdate::Alternate),
                         [](const auto& info) { return std::string(train::multitask_update_name(info.param)); });

TEST(TrainLoop, NonFiniteUpdatesAreSkippedThenCheckpointReloaded) {
  Fixture fx;
  auto comm = comm::make_mpi_communicator(MPI_COMM_WORLD);
  TinyModel m;
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (rank == 0) {  // NaN on one rank only: averaging spreads it, every rank skips
    m.nan_from = 5;
    m.nan_to = 11;
  }
  auto o = fx.options(shared_dir("nan"));
  o.checkpoint_every = 2;
  o.max_bad_steps = 2;
  train::Trainer t(m, *comm, MPI_COMM_WORLD, {fx.sr.get()}, {}, o);
  auto r = t.run();
  EXPECT_EQ(r.steps_done, 8);
  EXPECT_GE(r.skipped_updates, 2);
  EXPECT_GE(r.reloads, 1);
  for (auto& p : m.net->parameters()) EXPECT_TRUE(torch::isfinite(p).all().item<bool>());
}

TEST(TrainLoop, FreshRunStartsFromInitFrom) {
  Fixture fx;
  auto comm = comm::make_mpi_communicator(MPI_COMM_WORLD);
  const std::string dir = shared_dir("init_from");
  TinyModel source(7);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (rank == 0) {
    std::filesystem::create_directories(dir);
    model::save_checkpoint(*source.net, dir + "/init.pt", true);
  }
  MPI_Barrier(MPI_COMM_WORLD);
  TinyModel m(1);
  auto o = fx.options(dir + "/run");
  o.init_from = dir + "/init.pt";
  o.lr = {0.0, 0.0, 0, 0};  // Lion at lr 0 leaves the weights as they started
  train::Trainer t(m, *comm, MPI_COMM_WORLD, {fx.sr.get()}, {}, o);
  EXPECT_EQ(t.run().steps_done, 8);
  auto a = weights(source), b = weights(m);
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(torch::equal(a[i], b[i])) << "parameter " << i;
}

// fp16's dynamic loss scale, exercised on the CPU in fp32: scaling the loss by
// a power of two and the gradients back is exact, so the run is bit for bit
// the unscaled one; a non-finite gradient lowers the scale and is skipped
// without counting towards train.max_bad_steps.
TEST(TrainLoop, LossScalingIsExactAndAnOverflowIsNotABadStep) {
  Fixture fx;
  auto comm = comm::make_mpi_communicator(MPI_COMM_WORLD);
  TinyModel plain, scaled;
  {
    train::Trainer t(plain, *comm, MPI_COMM_WORLD, {fx.sr.get()}, {}, fx.options(shared_dir("unscaled")));
    EXPECT_EQ(t.run().steps_done, 8);
  }
  {
    auto o = fx.options(shared_dir("scaled"));
    o.loss_scaling = true;
    train::Trainer t(scaled, *comm, MPI_COMM_WORLD, {fx.sr.get()}, {}, o);
    EXPECT_EQ(t.run().steps_done, 8);
  }
  auto a = weights(plain), b = weights(scaled);
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(torch::equal(a[i], b[i])) << "parameter " << i;

  auto scaled_options = [&](const std::string& tag) {
    auto o = fx.options(shared_dir(tag));
    o.loss_scaling = true;
    o.max_bad_steps = 2;
    o.checkpoint_every = 2;
    return o;
  };
  TinyModel overflowing;
  overflowing.nan_grad_from = 3;
  overflowing.nan_grad_to = 6;  // three updates in a row overflow
  const auto o = scaled_options("overflow");
  {
    train::Trainer t(overflowing, *comm, MPI_COMM_WORLD, {fx.sr.get()}, {}, o);
    const auto r = t.run();
    EXPECT_EQ(r.steps_done, 8);
    EXPECT_EQ(r.skipped_updates, 3);
    EXPECT_EQ(r.reloads, 0) << "an overflow of the loss scale was counted as a bad step";
    for (auto& p : overflowing.net->parameters()) EXPECT_TRUE(torch::isfinite(p).all().item<bool>());
  }
  // Three halvings, kept in the checkpoint with the finite updates since.
  const auto state = train::read_checkpoint(o.output_dir + "/checkpoints/chk00000008").state;
  EXPECT_EQ(state.loss_scale, train::LossScale::kInitial / 8);
  EXPECT_EQ(state.loss_scale_good_steps, 3);

  // A non-finite loss is not the scale's doing: a bad step, scale untouched.
  TinyModel diverging;
  diverging.nan_from = 3;
  diverging.nan_to = 6;
  train::Trainer t(diverging, *comm, MPI_COMM_WORLD, {fx.sr.get()}, {}, scaled_options("nan_loss_scaled"));
  const auto r = t.run();
  EXPECT_GE(r.reloads, 1) << "NaN losses under loss scaling never reached train.max_bad_steps";
}
