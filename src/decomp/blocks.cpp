#include "flex/decomp/blocks.hpp"

#include <algorithm>
#include <climits>

#include "flex/core/collectives.hpp"
#include "flex/core/error.hpp"

namespace flex::decomp {

namespace {

// Region offsets local + k map to field indices source + step * k, k < length.
struct Run {
  long local = 0, source = 0, length = 0;
  int step = 1;
};

// The runs of a region span whose field index is source(u): one run per
// stretch that the field's wrap or mirror does not interrupt.
std::vector<Run> runs_of(Span s, const std::function<long(long)>& source) {
  std::vector<Run> out;
  for (long u = s.begin; u < s.end; ++u) {
    const long src = source(u);
    if (!out.empty()) {
      Run& r = out.back();
      if (r.length == 1 && src == r.source - 1) {
        r.step = -1, r.length = 2;
        continue;
      }
      if (src == r.source + r.step * r.length) {
        ++r.length;
        continue;
      }
    }
    out.push_back({u - s.begin, src, 1, 1});
  }
  return out;
}

// The part of run r whose field indices lie in [p.begin, p.end).
Run clip(const Run& r, Span p) {
  const long lo_src = r.step > 0 ? r.source : r.source - r.length + 1;
  const long lo = std::max(lo_src, p.begin), hi = std::min(lo_src + r.length, p.end);
  if (lo >= hi) return {0, 0, 0, r.step};
  if (r.step > 0) return {r.local + (lo - r.source), lo, hi - lo, 1};
  return {r.local + (r.source - (hi - 1)), hi - 1, hi - lo, -1};
}

// A rectangle of a region that lies in one block: row run x column run.
struct Piece {
  Run rows, cols;
  long count() const { return rows.length * cols.length; }
};

struct AxisRuns {
  std::vector<Run> rows, cols;
};

std::vector<Piece> pieces(const AxisRuns& region, const Rect& block) {
  std::vector<Piece> out;
  if (block.count() == 0) return out;
  for (const auto& rr : region.rows) {
    const Run r = clip(rr, block.rows);
    if (r.length == 0) continue;
    for (const auto& cr : region.cols) {
      const Run c = clip(cr, block.cols);
      if (c.length > 0) out.push_back({r, c});
    }
  }
  return out;
}

long pixels(const std::vector<Piece>& ps) {
  long n = 0;
  for (const auto& p : ps) n += p.count();
  return n;
}

// Visits the pixels of a piece in the order both sides pack them:
// f(region offset (row, col), block offset (row, col)), blocks by `block`.
template <class F>
void for_each_pixel(const Piece& p, const Rect& block, F&& f) {
  for (long k = 0; k < p.rows.length; ++k) {
    const long lr = p.rows.local + k, br = p.rows.source + p.rows.step * k - block.rows.begin;
    for (long l = 0; l < p.cols.length; ++l)
      f(lr, p.cols.local + l, br, p.cols.source + p.cols.step * l - block.cols.begin);
  }
}

int message_count(long n, const char* what) {
  FLEX_CHECK(n <= INT_MAX, what << ": a message of " << n << " values exceeds MPI's int count");
  return static_cast<int>(n);
}

// Point-to-point exchange of one buffer per peer (empty ones skipped).
template <class T>
void exchange(MPI_Comm comm, MPI_Datatype type, std::vector<std::vector<T>>& send, std::vector<std::vector<T>>& recv,
              int self, const char* what) {
  std::vector<MPI_Request> requests;
  const int n = static_cast<int>(send.size());
  // Sizes checked before anything is posted: a throw must not leave a neighbour waiting.
  for (int p = 0; p < n; ++p) {
    message_count(static_cast<long>(send[static_cast<size_t>(p)].size()), what);
    message_count(static_cast<long>(recv[static_cast<size_t>(p)].size()), what);
  }
  // One request per peer with something to exchange; receives first.
  const auto post = [&](auto& buffers, auto&& start) {
    for (int p = 0; p < n; ++p) {
      auto& b = buffers[static_cast<size_t>(p)];
      if (p == self || b.empty()) continue;
      requests.emplace_back();
      FLEX_CHECK_MPI(start(b.data(), static_cast<int>(b.size()), p, &requests.back()));
    }
  };
  post(recv, [&](T* data, int count, int p, MPI_Request* r) { return MPI_Irecv(data, count, type, p, 71, comm, r); });
  post(send, [&](T* data, int count, int p, MPI_Request* r) { return MPI_Isend(data, count, type, p, 71, comm, r); });
  FLEX_CHECK_MPI(MPI_Waitall(static_cast<int>(requests.size()), requests.data(), MPI_STATUSES_IGNORE));
}

// What the stitcher sums over: the reach, less the mirrored pixels outside a reflecting axis.
Rect summed_region(const BlockDecomposition& d, int r) {
  Rect g = d.reach(r);
  const auto& s = d.tiling().spec();
  if (s.boundary.rows == Boundary::Reflect) g.rows = {std::max(g.rows.begin, 0L), std::min(g.rows.end, s.height)};
  if (s.boundary.cols == Boundary::Reflect) g.cols = {std::max(g.cols.begin, 0L), std::min(g.cols.end, s.width)};
  return g;
}

AxisRuns runs_in_field(const Tiling& t, const Rect& region) {
  return {runs_of(region.rows, [&](long u) { return t.field_row(u); }),
          runs_of(region.cols, [&](long u) { return t.field_col(u); })};
}

}  // namespace

BlockDecomposition::BlockDecomposition(const Tiling& tiling, MPI_Comm comm, std::array<int, 2> dims)
    : tiling_(tiling) {
  int size = 1;
  FLEX_CHECK_MPI(MPI_Comm_size(comm, &size));
  if (dims[0] == 0 && dims[1] == 0) {
    FLEX_CHECK_MPI(MPI_Dims_create(size, 2, dims.data()));
  } else {
    FLEX_REQUIRE(dims[0] > 0 && dims[1] > 0 && dims[0] * dims[1] == size,
                 "block decomposition " << dims[0] << "x" << dims[1] << " does not match " << size << " rank(s)");
  }
  dims_ = dims;
  const auto& s = tiling.spec();
  int periods[2] = {s.boundary.rows == Boundary::Periodic, s.boundary.cols == Boundary::Periodic};
  FLEX_CHECK_MPI(MPI_Cart_create(comm, 2, dims_.data(), periods, /*reorder=*/0, &cart_));
  FLEX_CHECK_MPI(MPI_Comm_rank(cart_, &rank_));
  FLEX_CHECK_MPI(MPI_Comm_size(cart_, &size_));
}

BlockDecomposition::~BlockDecomposition() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized && cart_ != MPI_COMM_NULL) MPI_Comm_free(&cart_);
}

namespace {
// Patch rows x patch columns of rank r (row-major Cartesian coordinates).
std::array<mpi::Range, 2> patch_ranges(const Tiling& t, std::array<int, 2> dims, int r) {
  return {mpi::share(t.rows(), r / dims[1], dims[0]), mpi::share(t.cols(), r % dims[1], dims[1])};
}
}  // namespace

Rect BlockDecomposition::block(int r) const {
  const auto [pr, pc] = patch_ranges(tiling_, dims_, r);
  if (pr.size() <= 0 || pc.size() <= 0) return {};
  return {{tiling_.core_row(pr.begin), tiling_.core_row(pr.end)}, {tiling_.core_col(pc.begin), tiling_.core_col(pc.end)}};
}

Rect BlockDecomposition::reach(int r) const {
  const auto [pr, pc] = patch_ranges(tiling_, dims_, r);
  if (pr.size() <= 0 || pc.size() <= 0) return {};
  const long halo = tiling_.spec().halo, P = tiling_.spec().patch;
  return {{tiling_.core_row(pr.begin) - halo, tiling_.core_row(pr.end - 1) - halo + P},
          {tiling_.core_col(pc.begin) - halo, tiling_.core_col(pc.end - 1) - halo + P}};
}

std::vector<long> BlockDecomposition::patches(int r) const {
  const auto [pr, pc] = patch_ranges(tiling_, dims_, r);
  std::vector<long> out;
  for (long i = pr.begin; i < pr.end; ++i)
    for (long j = pc.begin; j < pc.end; ++j) out.push_back(i * tiling_.cols() + j);
  return out;
}

BlockStitcher::BlockStitcher(const BlockDecomposition& d, long planes)
    : d_(d), planes_(planes), region_(summed_region(d, d.rank())) {
  FLEX_CHECK(planes >= 1, "block stitcher: " << planes << " planes");
  numerator_.assign(static_cast<size_t>(planes * region_.count()), 0.0);
  weight_.assign(static_cast<size_t>(region_.count()), 0.0);
}

void BlockStitcher::add(long index, long plane, const float* patch) {
  FLEX_CHECK(!reduced_, "block stitcher: add() after reduce()");
  FLEX_CHECK(plane >= 0 && plane < planes_, "block stitcher: plane " << plane << " outside [0, " << planes_ << ")");
  const Tiling& t = d_.tiling();
  const long P = t.spec().patch, rows = region_.rows.size(), cols = region_.cols.size();
  const Patch p = t.patch(index);
  double* num = numerator_.data() + plane * region_.count();
  for (long i = 0; i < P; ++i) {
    const long r = p.row0 + i - region_.rows.begin;
    if (r < 0 || r >= rows) continue;  // mirrored rows outside a reflecting edge
    for (long j = 0; j < P; ++j) {
      const long c = p.col0 + j - region_.cols.begin;
      if (c < 0 || c >= cols) continue;
      const double w = t.weight(i, j);
      num[r * cols + c] += w * static_cast<double>(patch[i * P + j]);
      if (plane == 0) weight_[static_cast<size_t>(r * cols + c)] += w;
    }
  }
}

void BlockStitcher::reduce() {
  FLEX_CHECK(!reduced_, "block stitcher: reduce() twice");
  const Tiling& t = d_.tiling();
  const int me = d_.rank(), n = d_.size();
  const Rect mine = d_.block(me);
  const long stride = planes_ + 1;  // per pixel: weight, then each plane's numerator
  const AxisRuns my_runs = runs_in_field(t, region_);

  std::vector<std::vector<double>> send(static_cast<size_t>(n)), recv(static_cast<size_t>(n));
  std::vector<std::vector<Piece>> incoming(static_cast<size_t>(n));
  const long cols = region_.cols.size();
  for (int q = 0; q < n; ++q) {
    const Rect theirs = d_.block(q);
    const auto out = pieces(my_runs, theirs);
    auto& buf = send[static_cast<size_t>(q)];
    buf.reserve(static_cast<size_t>(pixels(out) * stride));
    for (const auto& piece : out)
      for_each_pixel(piece, theirs, [&](long lr, long lc, long, long) {
        const long k = lr * cols + lc;
        buf.push_back(weight_[static_cast<size_t>(k)]);
        for (long pl = 0; pl < planes_; ++pl) buf.push_back(numerator_[static_cast<size_t>(pl * region_.count() + k)]);
      });
    if (q == me) continue;
    incoming[static_cast<size_t>(q)] = pieces(runs_in_field(t, summed_region(d_, q)), mine);
    recv[static_cast<size_t>(q)].resize(static_cast<size_t>(pixels(incoming[static_cast<size_t>(q)]) * stride));
  }
  incoming[static_cast<size_t>(me)] = pieces(my_runs, mine);
  recv[static_cast<size_t>(me)] = std::move(send[static_cast<size_t>(me)]);
  for (int q = 0; q < n; ++q)
    if (q != me) bytes_sent_ += send[static_cast<size_t>(q)].size() * sizeof(double);
  exchange(d_.comm(), MPI_DOUBLE, send, recv, me, "block stitching");

  // Sum into the block, senders in rank order: the same order on every run.
  const long bcount = mine.count(), bcols = mine.cols.size();
  std::vector<double> num(static_cast<size_t>(planes_ * bcount), 0.0), wt(static_cast<size_t>(bcount), 0.0);
  for (int q = 0; q < n; ++q) {
    const double* v = recv[static_cast<size_t>(q)].data();
    for (const auto& piece : incoming[static_cast<size_t>(q)])
      for_each_pixel(piece, mine, [&](long, long, long br, long bc) {
        const long k = br * bcols + bc;
        wt[static_cast<size_t>(k)] += *v++;
        for (long pl = 0; pl < planes_; ++pl) num[static_cast<size_t>(pl * bcount + k)] += *v++;
      });
  }
  numerator_ = std::move(num);
  weight_ = std::move(wt);
  region_ = mine;
  reduced_ = true;
}

std::vector<float> BlockStitcher::result(long plane) const {
  FLEX_CHECK(plane >= 0 && plane < planes_, "block stitcher: plane " << plane << " outside [0, " << planes_ << ")");
  const long count = region_.count();
  FLEX_CHECK(reduced_, "block stitcher: result() before reduce()");
  std::vector<float> out(static_cast<size_t>(count));
  for (long k = 0; k < count; ++k) {
    const double w = weight_[static_cast<size_t>(k)];
    FLEX_CHECK(w > 0.0, "block stitching: pixel " << k << " of rank " << d_.rank() << "'s block is covered by no patch");
    // Normalising by the summed weights makes them an exact partition of unity.
    out[static_cast<size_t>(k)] = static_cast<float>(numerator_[static_cast<size_t>(plane * count + k)] / w);
  }
  return out;
}

std::vector<float> fill_regions(const BlockDecomposition& d, const float* block, long planes,
                                const std::function<Rect(int rank)>& region_of, std::uint64_t* bytes_sent) {
  const Tiling& t = d.tiling();
  const int me = d.rank(), n = d.size();
  const Rect mine = d.block(me), target = region_of(me);
  const long bcount = mine.count(), bcols = mine.cols.size();
  std::vector<std::vector<float>> send(static_cast<size_t>(n)), recv(static_cast<size_t>(n));
  std::vector<std::vector<Piece>> incoming(static_cast<size_t>(n));
  for (int q = 0; q < n; ++q) {
    const auto out = pieces(runs_in_field(t, region_of(q)), mine);
    auto& buf = send[static_cast<size_t>(q)];
    buf.reserve(static_cast<size_t>(pixels(out) * planes));
    for (const auto& piece : out)
      for_each_pixel(piece, mine, [&](long, long, long br, long bc) {
        for (long pl = 0; pl < planes; ++pl) buf.push_back(block[pl * bcount + br * bcols + bc]);
      });
  }
  const AxisRuns my_runs = runs_in_field(t, target);
  for (int q = 0; q < n; ++q) {
    incoming[static_cast<size_t>(q)] = pieces(my_runs, d.block(q));
    if (q != me) recv[static_cast<size_t>(q)].resize(static_cast<size_t>(pixels(incoming[static_cast<size_t>(q)]) * planes));
  }
  recv[static_cast<size_t>(me)] = std::move(send[static_cast<size_t>(me)]);
  if (bytes_sent)
    for (int q = 0; q < n; ++q)
      if (q != me) *bytes_sent += send[static_cast<size_t>(q)].size() * sizeof(float);
  exchange(d.comm(), MPI_FLOAT, send, recv, me, "halo fill");

  const long count = target.count(), cols = target.cols.size();
  std::vector<float> out(static_cast<size_t>(planes * count));
  for (int q = 0; q < n; ++q) {
    const float* v = recv[static_cast<size_t>(q)].data();
    for (const auto& piece : incoming[static_cast<size_t>(q)])
      for_each_pixel(piece, d.block(q), [&](long lr, long lc, long, long) {
        for (long pl = 0; pl < planes; ++pl) out[static_cast<size_t>(pl * count + lr * cols + lc)] = *v++;
      });
  }
  return out;
}

}  // namespace flex::decomp
