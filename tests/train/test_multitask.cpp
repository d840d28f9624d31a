// The multitask step (train.mt_update, SPEC §4). On a toy model whose loss is
// linear in its weights (loss_task = w · a_task, so the gradient is a_task),
// one global step with Lion is computed by hand: joint = ONE update with the
// summed gradient a_sr + a_fc and one EMA update; alternate = an SR update
// then an FC update (momentum carried over) and two EMA updates. And FLEX's
// joint loss (one forward over [SR; FC], pair i at the same t and eps) equals
// the two task losses computed apart with that draw, values and gradients.
#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>

#include "flex/comm/communicator.hpp"
#include "flex/core/collectives.hpp"
#include "flex/core/seed.hpp"
#include "flex/data/dataset.hpp"
#include "flex/diffusion/loss.hpp"
#include "flex/model/backbone.hpp"
#include "flex/train/flex_model.hpp"
#include "flex/train/trainer.hpp"

using namespace flex;

namespace {

using Vec = std::array<double, 3>;
const Vec kSr = {1.0, 1.0, -2.0}, kFc = {-3.0, 1.0, 1.0};  // chosen so joint and alternate signs differ
const Vec kStart = {0.5, -0.25, 1.0};

struct LinearImpl : torch::nn::Module {
  LinearImpl() { w = register_parameter("w", torch::tensor({kStart[0], kStart[1], kStart[2]}, torch::kDouble)); }
  torch::Tensor w;
};
TORCH_MODULE(Linear);

class LinearModel : public train::TrainModel {
 public:
  torch::nn::Module& module() override { return *net; }
  at::Tensor loss(const data::Batch& b, std::uint64_t seed) override {
    seeds.push_back(seed);
    const Vec& a = b.task == Task::SuperResolution ? kSr : kFc;
    return (net->w * torch::tensor({a[0], a[1], a[2]}, torch::kDouble)).sum();
  }
  at::Tensor predict_residual(const data::Batch& b, std::uint64_t) override { return b.residual; }
  Linear net;
  std::vector<std::uint64_t> seeds;
};

// Lion (Chen et al. 2023), no weight decay: c = b1 m + (1 - b1) g;
// w <- w - lr sign(c); m <- b2 m + (1 - b2) g.
void lion(Vec& w, Vec& m, const Vec& g, double lr) {
  const double b1 = 0.9, b2 = 0.99;
  for (int i = 0; i < 3; ++i) {
    const double c = b1 * m[i] + (1 - b1) * g[i];
    w[i] -= lr * static_cast<double>((c > 0) - (c < 0));
    m[i] = b2 * m[i] + (1 - b2) * g[i];
  }
}
Vec lerp(const Vec& shadow, const Vec& w, double decay) {
  Vec out;
  for (int i = 0; i < 3; ++i) out[i] = decay * shadow[i] + (1 - decay) * w[i];
  return out;
}
double dot(const Vec& a, const Vec& b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }

std::string shared_dir(const std::string& tag) {
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  std::string dir = mpi::broadcast("/tmp/flex_train_mt_" + tag + "_" + std::to_string(getpid()), MPI_COMM_WORLD);
  if (rank == 0) std::filesystem::remove_all(dir);
  MPI_Barrier(MPI_COMM_WORLD);
  return dir;
}

// 12 snapshots of a random field; SR and FC samples over all of them.
struct Data {
  Data(std::int64_t side, std::int64_t patch, std::int64_t factor) {
    torch::manual_seed(3);
    src = data::tensor_source(torch::randn({12, 1, side, side}), 8000);
    data::SampleConfig c;
    c.channels = {0};
    c.patch = patch;
    c.factor = factor;
    c.norm_std = {1.0};
    const auto all = data::select_snapshots("all", 12, "test");
    sr = std::make_unique<data::Dataset>(std::vector<data::SourceEntry>{{src, 8000, all}}, Task::SuperResolution, c);
    fc = std::make_unique<data::Dataset>(std::vector<data::SourceEntry>{{src, 8000, all}}, Task::Forecast, c);
  }
  data::Batch batch(const data::Dataset& d, std::vector<std::int64_t> indices) const {
    std::vector<data::Sample> s;
    for (auto i : indices) s.push_back(d.get(i, 100 + static_cast<std::uint64_t>(i)));
    return data::collate(d.task(), s, indices);
  }
  std::shared_ptr<const data::FieldSource> src;
  std::unique_ptr<data::Dataset> sr, fc;
};

struct OneStep {
  Vec weights, ema;
  train::TrainResult result;
  std::vector<std::uint64_t> seeds;
};

OneStep one_step(train::MultitaskUpdate mode, const std::string& tag) {
  Data d(16, 8, 4);
  auto comm = comm::make_mpi_communicator(MPI_COMM_WORLD);
  LinearModel m;
  train::TrainOptions o;
  o.batch = 1;
  o.steps = 1;
  o.lr = {0.125, 0.125, 0, 0};  // constant
  o.clip = 0;                   // the hand computation has no clipping
  o.ema_decay = 0.5;
  o.mt_update = mode;
  o.seed = 7;
  o.output_dir = shared_dir(tag);
  o.checkpoint_every = 0;
  o.export_name = "";
  train::Trainer t(m, *comm, MPI_COMM_WORLD, {d.sr.get(), d.fc.get()}, {}, o);
  OneStep out;
  out.result = t.run();
  for (int i = 0; i < 3; ++i) out.weights[i] = m.net->w[i].item<double>();
  const auto& shadow = t.ema().shadow();
  EXPECT_EQ(shadow.size(), 1u);
  for (int i = 0; i < 3; ++i) out.ema[i] = shadow.front().second[i].item<double>();
  out.seeds = m.seeds;
  return out;
}

}  // namespace

TEST(MultitaskUpdate, DeckWords) {
  EXPECT_EQ(train::parse_multitask_update("joint"), train::MultitaskUpdate::Joint);
  EXPECT_EQ(train::parse_multitask_update("alternate"), train::MultitaskUpdate::Alternate);
  EXPECT_STREQ(train::multitask_update_name(train::MultitaskUpdate::Joint), "joint");
  EXPECT_EQ(train::TrainOptions().mt_update, train::MultitaskUpdate::Joint);  // the authors'
}

TEST(MultitaskUpdate, JointIsOneUpdateWithTheSummedGradient) {
  const OneStep r = one_step(train::MultitaskUpdate::Joint, "joint");
  Vec w = kStart, m = {0, 0, 0}, g;
  for (int i = 0; i < 3; ++i) g[i] = kSr[i] + kFc[i];
  lion(w, m, g, 0.125);
  const Vec ema = lerp(kStart, w, 0.5);
  for (int i = 0; i < 3; ++i) {
    EXPECT_DOUBLE_EQ(r.weights[i], w[i]) << i;
    EXPECT_DOUBLE_EQ(r.ema[i], ema[i]) << i;  // one EMA update
  }
  // Both task losses at the starting weights, drawn from one seed.
  EXPECT_DOUBLE_EQ(r.result.last.at("loss_sr"), dot(kStart, kSr));
  EXPECT_DOUBLE_EQ(r.result.last.at("loss_fc"), dot(kStart, kFc));
  ASSERT_EQ(r.seeds.size(), 2u);
  EXPECT_EQ(r.seeds[0], r.seeds[1]);
}

TEST(MultitaskUpdate, AlternateIsTwoSequentialUpdates) {
  const OneStep r = one_step(train::MultitaskUpdate::Alternate, "alternate");
  Vec w = kStart, m = {0, 0, 0};
  lion(w, m, kSr, 0.125);
  const Vec after_sr = w;
  Vec ema = lerp(kStart, w, 0.5);
  lion(w, m, kFc, 0.125);
  ema = lerp(ema, w, 0.5);
  for (int i = 0; i < 3; ++i) {
    EXPECT_DOUBLE_EQ(r.weights[i], w[i]) << i;
    EXPECT_DOUBLE_EQ(r.ema[i], ema[i]) << i;  // two EMA updates
  }
  EXPECT_DOUBLE_EQ(r.result.last.at("loss_sr"), dot(kStart, kSr));
  EXPECT_DOUBLE_EQ(r.result.last.at("loss_fc"), dot(after_sr, kFc));  // after the SR update
  ASSERT_EQ(r.seeds.size(), 2u);
  EXPECT_NE(r.seeds[0], r.seeds[1]);
  // The hand computations differ, so the two tests tell the modes apart.
  const OneStep j = one_step(train::MultitaskUpdate::Joint, "joint_again");
  EXPECT_NE(j.weights, r.weights);
}

TEST(MultitaskUpdate, FlexJointLossIsBothTaskLossesAtOneDraw) {
  model::BackboneConfig bc;
  bc.flex = model::flex_config_for_size("tiny");
  bc.flex.tasks = model::TaskSet::Multitask;
  bc.flex.dropout = 0.0;  // deterministic forward, train mode or not
  model::Backbone net = model::make_backbone(bc, 1);
  {
    // The zero-initialised output convs would make the loss independent of the network.
    torch::manual_seed(11);
    torch::NoGradGuard no_grad;
    auto flex = net.flex();
    for (auto& b : flex->resblocks()) {
      b->out_conv()->weight.normal_(0, 0.02);
      b->out_conv()->bias.normal_(0, 0.02);
    }
    flex->decoder()->head_conv()->weight.normal_(0, 0.02);
    flex->decoder()->head_conv()->bias.normal_(0, 0.02);
  }
  train::FlexTrainOptions options;
  options.loss.norm = diffusion::LossNorm::L2;  // smooth: no |x| kink for round-off to flip
  auto model = train::make_flex_train_model(net, c10::Device(c10::kCPU), options);
  Data d(32, 32, 8);
  const data::Batch sr = d.batch(*d.sr, {0, 4, 7}), fc = d.batch(*d.fc, {2, 3, 9});
  const std::uint64_t seed = 1234;

  auto grads = [&] {
    std::vector<torch::Tensor> g;
    for (auto& p : net.module->parameters()) {
      g.push_back(p.grad().defined() ? p.grad().clone() : torch::zeros_like(p));
      p.mutable_grad() = torch::Tensor();
    }
    return g;
  };
  const auto joint = model->joint_loss({sr, fc}, seed);
  ASSERT_EQ(joint.size(), 2u);
  (joint[0] + joint[1]).backward();
  const auto g_joint = grads();

  // Apart: the SR half is the SR loss alone; the FC half takes the SR samples' draw.
  const at::Tensor sr_alone = model->loss(sr, seed);
  std::vector<std::uint64_t> seeds;
  for (auto i : sr.indices) seeds.push_back(derive_seed(seed, Stream::kDiffusionNoise, {static_cast<std::uint64_t>(i)}));
  const auto draw = diffusion::draw_noise(fc.residual, seeds);
  const auto noised = diffusion::add_noise(fc.residual, draw, diffusion::Schedule(), diffusion::Parameterisation::V);
  const at::Tensor fc_apart = diffusion::diffusion_loss(net(noised.z_t, draw.t, fc.cond, Task::Forecast, fc.input),
                                                        noised, options.loss);
  (sr_alone + fc_apart).backward();
  const auto g_apart = grads();

  // Equal to round-off: [SR; FC] in one batch only changes summation orders.
  EXPECT_NEAR(joint[0].item<double>(), sr_alone.item<double>(), 1e-5 * std::abs(sr_alone.item<double>()));
  EXPECT_NEAR(joint[1].item<double>(), fc_apart.item<double>(), 1e-5 * std::abs(fc_apart.item<double>()));
  EXPECT_NE(joint[1].item<double>(), model->loss(fc, seed).item<double>());  // not the FC samples' own draw
  ASSERT_EQ(g_joint.size(), g_apart.size());
  double largest = 0;
  for (const auto& g : g_apart) largest = std::max(largest, g.abs().max().item<double>());
  ASSERT_GT(largest, 0.0);
  for (std::size_t i = 0; i < g_joint.size(); ++i)
    EXPECT_LT((g_joint[i] - g_apart[i]).abs().max().item<double>(), 1e-4 * largest) << "parameter " << i;
}
