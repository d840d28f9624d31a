#include <gtest/gtest.h>
#include <torch/torch.h>

#include "flex/core/error.hpp"
#include "flex/data/transforms.hpp"

using namespace flex::data;

namespace {
double max_abs(const at::Tensor& a) { return a.abs().max().item<double>(); }
}  // namespace

TEST(Transforms, SubsampleTakesEveryFactorthPoint) {
  auto x = torch::arange(16 * 16, torch::kFloat).reshape({1, 16, 16});
  auto lr = subsample(x, 8);
  ASSERT_EQ(lr.sizes(), (std::vector<int64_t>{1, 2, 2}));
  EXPECT_EQ(lr[0][1][1].item<float>(), 8 * 16 + 8);
}

// Away from the edges, PyTorch's bicubic (which clamps at the edges) and ours
// (which wraps) must agree: compare on a circularly padded field.
TEST(Transforms, MatchesPyTorchBicubicOnPeriodicPadding) {
  torch::manual_seed(3);
  const int64_t n = 12, f = 8, pad = 3;
  auto lr = torch::randn({2, 1, n, n}, torch::kDouble);
  auto ours = upsample_bicubic_conditioning(lr, f);
  auto padded = torch::cat({lr.narrow(2, n - pad, pad), lr, lr.narrow(2, 0, pad)}, 2);
  padded = torch::cat({padded.narrow(3, n - pad, pad), padded, padded.narrow(3, 0, pad)}, 3);
  namespace F = torch::nn::functional;
  auto theirs = F::interpolate(padded, F::InterpolateFuncOptions()
                                           .scale_factor(std::vector<double>{double(f), double(f)})
                                           .mode(torch::kBicubic)
                                           .align_corners(false));
  theirs = theirs.narrow(2, pad * f, n * f).narrow(3, pad * f, n * f);
  EXPECT_LT(max_abs(ours - theirs), 1e-12);
}

// Keys (1981): a = -1/2 is the only parameter with third-order accuracy
// (quadratics reproduced exactly); a = -3/4 (PyTorch's) keeps the partition
// of unity (constants exact) but not even linear functions.
TEST(Transforms, PolynomialReproduction) {
  const int64_t f = 8, n_lr = 1000, lr0 = 100, count = 40;
  auto j = torch::arange(lr0, lr0 + count, torch::kDouble);
  const int64_t out0 = (lr0 + 4) * f, nout = 20 * f;  // inside the window, far from wrap
  auto s = (torch::arange(out0, out0 + nout, torch::kDouble) + 0.5) / f - 0.5;
  auto quad = [](const at::Tensor& x) { return 0.3 * x * x - 2.0 * x + 1.5; };
  auto lin = [](const at::Tensor& x) { return -1.25 * x + 4.0; };
  auto m_keys = bicubic_matrix(out0, nout, f, lr0, count, n_lr, -0.5);
  auto m_torch = bicubic_matrix(out0, nout, f, lr0, count, n_lr);
  EXPECT_LT(max_abs(torch::matmul(m_keys, quad(j)) - quad(s)), 1e-9);
  EXPECT_LT(max_abs(torch::matmul(m_keys, lin(j)) - lin(s)), 1e-9);
  EXPECT_LT(max_abs(torch::matmul(m_torch, torch::full_like(j, 3.0)) - 3.0), 1e-12);
  EXPECT_GT(max_abs(torch::matmul(m_torch, lin(j)) - lin(s)), 1e-3);
}

TEST(Transforms, PeriodicShiftEquivariance) {
  torch::manual_seed(4);
  const int64_t f = 4;
  auto lr = torch::randn({6, 5}, torch::kDouble);
  auto up = upsample_bicubic_conditioning(lr, f);
  auto up_shifted = upsample_bicubic_conditioning(torch::roll(lr, {1, -2}, {0, 1}), f);
  EXPECT_LT(max_abs(up_shifted - torch::roll(up, {f, -2 * f}, {0, 1})), 1e-12);
  // Interpolating: constant fields stay constant, including across the wrap.
  EXPECT_LT(max_abs(upsample_bicubic_conditioning(torch::full({3, 3}, 2.5, torch::kDouble), 8) - 2.5), 1e-12);
}

// The window path (what the loader reads) gives the whole-field values, also
// for patches that wrap around the box.
TEST(Transforms, WindowEqualsWholeField) {
  torch::manual_seed(5);
  const int64_t n = 64, f = 8, p = 24;
  auto field = torch::randn({n, n}, torch::kDouble);
  auto up = upsample_bicubic_conditioning(subsample(field, f), f);
  for (auto [r0, c0] : std::vector<std::pair<int64_t, int64_t>>{{0, 0}, {13, 40}, {60, 5}, {45, 57}, {63, 63}}) {
    const WindowSpec spec = sr_read_window(r0, c0, p, f);
    auto window = cut_patch_periodic(field, spec.row0, spec.col0, std::max(spec.rows, spec.cols))
                      .narrow(0, 0, spec.rows)
                      .narrow(1, 0, spec.cols);
    SrPatch sp = sr_patch_from_window(window, spec, r0, c0, p, f, n, n);
    EXPECT_LT(max_abs(sp.upsampled - cut_patch_periodic(up, r0, c0, p)), 1e-12) << r0 << "," << c0;
    EXPECT_TRUE(torch::equal(sp.truth, cut_patch_periodic(field, r0, c0, p)));
  }
  // The whole field as one patch.
  const WindowSpec all = sr_read_window(0, 0, n, f);
  auto window = cut_patch_periodic(field, all.row0, all.col0, all.rows);
  EXPECT_LT(max_abs(sr_patch_from_window(window, all, 0, 0, n, f, n, n).upsampled - up), 1e-12);
}

TEST(Transforms, BicubicWindowCoversTheStencil) {
  const LowResWindow w = bicubic_window(0, 8, 8);  // sources -0.44..0.44: low-res -2..2
  EXPECT_EQ(w.begin, -2);
  EXPECT_EQ(w.count, 5);
  EXPECT_THROW(bicubic_matrix(0, 8, 8, 0, 2, 100), flex::Error);  // window too small: -2 missing
}

// Between walls the stencil is mirrored about the edge sample, lr[-k] =
// lr[k]: the same as upsampling a reflect-padded field with wrap and cutting
// the padding off (3 samples of padding exceed the stencil's reach of 2), per
// axis: here rows between walls, columns periodic (latitude-longitude).
TEST(Transforms, WallsMirrorTheStencilAboutTheEdgeSample) {
  torch::manual_seed(5);
  const int64_t h = 10, w = 12, f = 4, pad = 3;
  const auto lr = torch::randn({2, h, w}, torch::kDouble);
  namespace F = torch::nn::functional;
  const auto padded =
      F::pad(lr.unsqueeze(0), F::PadFuncOptions({0, 0, pad, pad}).mode(torch::kReflect)).squeeze(0);  // rows only
  const flex::io::Periodicity walls_in_rows{false, true};
  const auto cut = [&](const at::Tensor& up) { return up.narrow(1, pad * f, h * f); };
  EXPECT_LT(max_abs(upsample_bicubic_conditioning(lr, f, walls_in_rows) - cut(upsample_bicubic_conditioning(padded, f))),
            1e-12);
  EXPECT_LT(max_abs(upsample_bicubic_aligned(lr, f, walls_in_rows) - cut(upsample_bicubic_aligned(padded, f))), 1e-12);
  // One wall's values never reach the other: the first rows ignore the last sample row.
  auto changed = lr.clone();
  changed.select(1, h - 1).add_(100.0);
  EXPECT_LT(max_abs((upsample_bicubic_conditioning(changed, f, walls_in_rows) -
                     upsample_bicubic_conditioning(lr, f, walls_in_rows))
                        .narrow(1, 0, f)),
            1e-12);
}

// Part of a field upsampled from a window of its low-res samples equals the
// whole-field upsampling there, for each kind and edge, positions past a
// wrapping edge included (as a rank's reach has them).
TEST(BicubicWindow, EqualsTheWholeFieldUpsampling) {
  torch::manual_seed(3);
  const std::int64_t h = 12, w = 10, f = 4;
  const auto lr = torch::randn({2, h, w});
  for (const bool wr : {true, false})
    for (const bool wc : {true, false})
      for (const auto kind : {Bicubic::Conditioning, Bicubic::Aligned, Bicubic::AlignCorners}) {
        const flex::io::Periodicity wraps{wr, wc};
        const auto whole = kind == Bicubic::Conditioning ? upsample_bicubic_conditioning(lr, f, wraps)
                           : kind == Bicubic::Aligned    ? upsample_bicubic_aligned(lr, f, wraps)
                                                         : upsample_bicubic_align_corners(lr, f);
        // Rows -5..20 where they wrap (else 0..20), columns 17..44 (else 17..39); align_corners
        // is not periodic: its positions lie in the field.
        const bool rw_past = wr && kind != Bicubic::AlignCorners, cw_past = wc && kind != Bicubic::AlignCorners;
        std::vector<std::int64_t> rows, cols;
        for (std::int64_t r = rw_past ? -5 : 0; r <= 20; ++r) rows.push_back(r);
        for (std::int64_t c = 17; c < (cw_past ? 45 : w * f); ++c) cols.push_back(c);
        const auto rw = bicubic_needed(rows, f, h, kind, wr), cw = bicubic_needed(cols, f, w, kind, wc);
        // The window as a reader would cut it: samples (begin + k) mod n.
        const auto pick = [](std::int64_t begin, std::int64_t count, std::int64_t n) {
          std::vector<std::int64_t> idx;
          for (std::int64_t k = 0; k < count; ++k) idx.push_back(((begin + k) % n + n) % n);
          return torch::tensor(idx, torch::kLong);
        };
        const auto window = lr.index_select(1, pick(rw.begin, rw.count, h)).index_select(2, pick(cw.begin, cw.count, w));
        const auto mr = bicubic_axis_matrix(rows, f, h, kind, wr, rw).to(torch::kFloat);
        const auto mc = bicubic_axis_matrix(cols, f, w, kind, wc, cw).to(torch::kFloat);
        const auto part = torch::matmul(torch::matmul(mr, window), mc.t());
        const auto expected = whole.index_select(1, pick(rows.front(), static_cast<std::int64_t>(rows.size()), h * f))
                                  .index_select(2, pick(cols.front(), static_cast<std::int64_t>(cols.size()), w * f));
        EXPECT_LT((part - expected).abs().max().item<double>(), 1e-5)
            << "wraps " << wr << "," << wc << " kind " << static_cast<int>(kind);
      }
}
