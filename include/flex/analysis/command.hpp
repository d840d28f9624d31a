// `flex analyze`: metrics, spectra and ensemble statistics of prediction and
// ensemble files against a truth file, every field split over the ranks by
// row slabs. Keys analyze.*; see doc/analyze.md.
#pragma once

namespace flex {
class DeckSchema;
struct RunContext;

void declare_analyze_keys(DeckSchema& schema);
int run_analyze(const RunContext& ctx);
}  // namespace flex
