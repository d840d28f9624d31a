// `flex analyze`: truth, prediction and ensemble files read one sample at a
// time (each rank its row slab of every channel), the analysis kernels run on
// each sample, and the metrics (CSV, JSON), spectra, ensemble, pull, skill and
// continuity tables written under run.output_dir. See doc/analyze.md.
#pragma once

#include <mpi.h>

#include "flex/analysis/config.hpp"

namespace flex::analysis {

// Collective over comm. Returns the exit code (0); bad input throws InputError
// before any sample is read, and an existing output without run.overwrite too.
int run(const AnalyzeConfig& config, MPI_Comm comm);

}  // namespace flex::analysis
