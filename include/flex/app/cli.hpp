// Entry point of the `flex` executable, in libflex so tests can drive it.
#pragma once

namespace flex {

// Parses `flex <subcommand> [deck] [key=value ...]`, runs it under the MPI
// environment, and turns any error into a message plus a non-zero exit on
// every rank (MPI_Abort when more than one rank runs).
int cli_main(int argc, char** argv);

}  // namespace flex
