#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <set>

#include "flex/core/error.hpp"
#include "flex/data/loader.hpp"
#include "flex/data/transforms.hpp"
#include "flex/io/fields.hpp"

using namespace flex;
using namespace flex::data;

namespace {

int world_rank() {
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}
int world_size() {
  int s = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &s);
  return s;
}

// A (u, v, w)-like field set whose vorticity encodes (snapshot, row, col).
at::Tensor fields(int64_t n, int64_t h, int64_t w) {
  auto t = torch::arange(n, torch::kFloat).view({n, 1, 1, 1}) * 1000 +
           torch::arange(h, torch::kFloat).view({1, 1, h, 1}) + torch::arange(w, torch::kFloat).view({1, 1, 1, w}) / 100;
  return torch::cat({torch::zeros({n, 2, h, w}), t}, 1);
}

SampleConfig small_config() {
  SampleConfig c;
  c.patch = 16;
  c.factor = 4;
  c.norm_std = {2.0};
  return c;
}

}  // namespace

TEST(Split, EvenOddAllAndRanges) {
  EXPECT_EQ(select_snapshots("even", 5, "t"), (std::vector<int64_t>{0, 2, 4}));
  EXPECT_EQ(select_snapshots("odd", 5, "t"), (std::vector<int64_t>{1, 3}));
  EXPECT_EQ(select_snapshots("all", 3, "t"), (std::vector<int64_t>{0, 1, 2}));
  EXPECT_EQ(select_snapshots("0:3,7:end:2", 12, "t"), (std::vector<int64_t>{0, 1, 2, 7, 9, 11}));
  EXPECT_THROW(select_snapshots("0:20", 12, "deck.ini: data.train_snapshots"), InputError);
  EXPECT_THROW(select_snapshots("evens", 12, "t"), InputError);
  // Train and validation never share a snapshot.
  auto tr = select_snapshots("even", 101, "t"), va = select_snapshots("odd", 101, "t");
  std::set<int64_t> all(tr.begin(), tr.end());
  for (auto i : va) EXPECT_EQ(all.count(i), 0u);
}

TEST(Shuffle, DeterministicPermutationPerEpoch) {
  auto a = epoch_order(100, 42), b = epoch_order(100, 42), c = epoch_order(100, 43);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  std::set<int64_t> seen(a.begin(), a.end());
  EXPECT_EQ(seen.size(), 100u);
  EXPECT_EQ(*seen.rbegin(), 99);
}

TEST(Dataset, SuperResolutionSampleIsResidualOfBicubic) {
  auto f = fields(6, 32, 32);
  std::shared_ptr<const FieldSource> src = tensor_source(f, 8000);
  Dataset ds({{src, 8000, select_snapshots("even", 6, "t")}}, Task::SuperResolution, small_config());
  ASSERT_EQ(ds.size(), 3);
  Sample s = ds.get(1, 99);  // snapshot 2
  ASSERT_EQ(s.input.sizes(), (std::vector<int64_t>{1, 16, 16}));
  // truth = base + residual, and the truth is a patch of snapshot 2 (scaled by 1/std).
  auto truth = (s.base + s.residual) * 2.0;
  auto whole = f[2][2].to(torch::kDouble);
  const double v00 = truth[0][0][0].item<double>();
  const int64_t snap = static_cast<int64_t>(std::floor(v00 / 1000));
  EXPECT_EQ(snap, 2);
  const int64_t r0 = static_cast<int64_t>(std::floor(v00 - 2000 + 1e-3));
  const int64_t c0 = std::llround((v00 - 2000 - r0) * 100);
  EXPECT_LT((truth.squeeze(0).to(torch::kDouble) - cut_patch_periodic(whole, r0, c0, 16)).abs().max().item<double>(), 1e-3);
  auto up = upsample_bicubic_conditioning(subsample(whole, 4), 4);
  EXPECT_LT((s.base.squeeze(0).to(torch::kDouble) * 2.0 - cut_patch_periodic(up, r0, c0, 16)).abs().max().item<double>(), 1e-3);
  EXPECT_NEAR(s.cond[0].item<float>(), 8000.0 / 40000.0, 1e-6);  // data.re_scaling = ref
}

TEST(Dataset, ForecastHorizonCountsRawSnapshots) {
  auto f = fields(10, 16, 16);
  std::shared_ptr<const FieldSource> src = tensor_source(f, 1000);
  auto cfg = small_config();
  cfg.patch = 8;
  auto snap = [](const at::Tensor& x) { return std::floor(x[0][0].item<double>() * 2.0 / 1000 + 1e-6); };
  // The even split chooses the anchors t = 0, 2, 4, 6, 8; h = 1 reads the odd
  // neighbours t - 1, t + 1 from the file, and t = 0 (no t - 1) is dropped.
  Dataset ds({{src, 1000, select_snapshots("even", 10, "t")}}, Task::Forecast, cfg);
  ASSERT_EQ(ds.size(), 4);  // t = 2, 4, 6, 8
  Sample s = ds.get(0, 5);
  EXPECT_EQ(snap(s.input[0]), 1);
  EXPECT_EQ(snap(s.input[1]), 2);
  EXPECT_TRUE(torch::allclose(s.base[0], s.input[1]));
  EXPECT_NEAR(s.residual.mean().item<double>() * 2.0, 1000.0, 1e-2);  // x_3 - x_2
  Sample last = ds.get(3, 5);
  EXPECT_EQ(snap(last.input[0]), 7);
  EXPECT_NEAR(last.residual.mean().item<double>() * 2.0, 1000.0, 1e-2);  // x_9 - x_8
  // h = 3: anchors need t - 3 >= 0 and t + 3 < 10: t = 4, 6.
  cfg.horizon = 3;
  Dataset wide({{src, 1000, select_snapshots("even", 10, "t")}}, Task::Forecast, cfg);
  ASSERT_EQ(wide.size(), 2);
  Sample w = wide.get(1, 5);
  EXPECT_EQ(snap(w.input[0]), 3);
  EXPECT_EQ(snap(w.input[1]), 6);
  EXPECT_NEAR(w.residual.mean().item<double>() * 2.0, 3000.0, 1e-2);  // x_9 - x_6
  // The odd split's anchors 1, 3, 5, 7, 9 with h = 1: 9 has no t + 1.
  cfg.horizon = 1;
  Dataset odd({{src, 1000, select_snapshots("odd", 10, "t")}}, Task::Forecast, cfg);
  EXPECT_EQ(odd.size(), 4);
  EXPECT_EQ(snap(odd.get(0, 5).input[0]), 0);
}

// Channels (w, u) at once: each is the one-channel sample of that channel with
// its own mean and std, stacked in the order listed; FC frames keep each
// frame's channels together, oldest frame first.
TEST(Dataset, SeveralChannelsAreEachNormalisedByTheirOwnStatistics) {
  torch::manual_seed(21);
  auto f = torch::randn({6, 3, 32, 32});
  f.select(1, 0).copy_(f.select(1, 2) * 3 + 5);  // u = 3 w + 5
  std::shared_ptr<const FieldSource> src = tensor_source(f, 8000);
  const auto split = select_snapshots("all", 6, "t");
  auto both = small_config(), w = small_config(), u = small_config();
  both.channels = {2, 0}, both.norm_mean = {0.0, 5.0}, both.norm_std = {2.0, 3.0};
  w.channels = {2}, w.norm_mean = {0.0}, w.norm_std = {2.0};
  u.channels = {0}, u.norm_mean = {5.0}, u.norm_std = {3.0};
  for (const Task task : {Task::SuperResolution, Task::Forecast}) {
    const Dataset d2({{src, 8000, split}}, task, both), dw({{src, 8000, split}}, task, w), du({{src, 8000, split}}, task, u);
    const Sample s = d2.get(1, 77), sw = dw.get(1, 77), su = du.get(1, 77);
    const int64_t frames = task == Task::Forecast ? 2 : 1;
    ASSERT_EQ(s.input.sizes(), (std::vector<int64_t>{2 * frames, 16, 16})) << task_name(task);
    ASSERT_EQ(s.residual.sizes(), (std::vector<int64_t>{2, 16, 16}));
    for (int64_t k = 0; k < frames; ++k) {
      EXPECT_TRUE(torch::allclose(s.input[2 * k], sw.input[k], 1e-5, 1e-5)) << task_name(task) << " frame " << k;
      EXPECT_TRUE(torch::allclose(s.input[2 * k + 1], su.input[k], 1e-5, 1e-5)) << task_name(task) << " frame " << k;
    }
    EXPECT_TRUE(torch::allclose(s.base, torch::cat({sw.base, su.base}), 1e-5, 1e-5)) << task_name(task);
    EXPECT_TRUE(torch::allclose(s.residual, torch::cat({sw.residual, su.residual}), 1e-5, 1e-5)) << task_name(task);
    // u = 3 w + 5 normalised by (5, 3) is w normalised by (0, 2), times 2.
    EXPECT_TRUE(torch::allclose(s.input[1], s.input[0] * 2.0, 1e-4, 1e-4)) << task_name(task);
  }
}

TEST(Loader, RanksPartitionTheGlobalBatchAndPrefetchIsInvisible) {
  auto f = fields(40, 16, 16);
  std::shared_ptr<const FieldSource> src = tensor_source(f, 1000);
  auto cfg = small_config();
  cfg.patch = 8;
  Dataset ds({{src, 1000, select_snapshots("all", 40, "t")}}, Task::SuperResolution, cfg);
  const int r = world_rank(), n = world_size();
  LoaderOptions o;
  o.batch = 3;
  o.rank = r;
  o.ranks = n;
  o.seed = 11;
  Loader with_prefetch(ds, o, 2);
  o.prefetch = 0;
  Loader on_demand(ds, o, 2);
  for (int64_t step = 2; step < 2 + 2 * with_prefetch.steps_per_epoch(); ++step) {
    Batch a = with_prefetch.next(), b = on_demand.next();
    EXPECT_EQ(a.indices, b.indices);
    EXPECT_TRUE(torch::equal(a.residual, b.residual));
    // Union over ranks = the step's slice of the epoch order.
    std::vector<int64_t> all(static_cast<size_t>(o.batch * n));
    MPI_Allgather(a.indices.data(), static_cast<int>(o.batch), MPI_INT64_T, all.data(), static_cast<int>(o.batch),
                  MPI_INT64_T, MPI_COMM_WORLD);
    const int64_t spe = with_prefetch.steps_per_epoch();
    auto order = with_prefetch.order(step / spe);
    std::vector<int64_t> expected(order.begin() + (step % spe) * o.batch * n,
                                  order.begin() + (step % spe + 1) * o.batch * n);
    EXPECT_EQ(all, expected);
  }
  EXPECT_NE(with_prefetch.order(0), with_prefetch.order(1));
}

TEST(FieldFile, HyperslabWindowsMatchMemoryWithWrap) {
  const std::string path = "/tmp/flex_data_test_" + std::to_string(getpid()) + "_" + std::to_string(world_rank()) + ".h5";
  auto f = fields(3, 24, 20);
  {
    io::WriterOptions wo;
    wo.overwrite = true;
    wo.write_xdmf = false;
    io::FieldWriter w(path, MPI_COMM_SELF, {3, 3, 24, 20}, wo);
    w.write(io::Hyperslab{0, 3, 0, 3, 0, 24, 0, 20}, f.data_ptr<float>());
    w.set_attribute("Re", 16000.0);
    w.close();
  }
  auto file = open_field_file(path);
  auto mem = tensor_source(f, 16000);
  EXPECT_EQ(file->reynolds(), 16000.0);
  EXPECT_EQ(file->rows(), 24);
  EXPECT_EQ(file->channel_names(), (std::vector<std::string>{"u", "v", "w"}));
  for (auto [r0, c0] : std::vector<std::pair<int64_t, int64_t>>{{0, 0}, {20, 15}, {-3, -7}, {5, 19}})
    EXPECT_TRUE(torch::equal(file->read_window(1, 2, r0, 10, c0, 9), mem->read_window(1, 2, r0, 10, c0, 9)));
  EXPECT_TRUE(torch::equal(file->read_window(2, 2, 0, 24, 0, 20), f[2][2]));
  std::remove(path.c_str());
}
