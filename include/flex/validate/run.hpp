// `flex validate`: runs the selected checks of the validation suite
// (validation/*.ini) and writes <report>.md, <report>.json and the resolved
// deck (doc/validate.md).
#pragma once

#include <mpi.h>

#include "flex/validate/config.hpp"

namespace flex::validate {

// The exit code: 0 every check passed or was skipped, 4 some check failed.
// Collective.
int run(const ValidateConfig& config, MPI_Comm comm);

}  // namespace flex::validate
