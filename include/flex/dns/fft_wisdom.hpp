// FFTW wisdom files: the plans a run with dns.fft_planner = measure timed.
// Saved next to the run's output, they let a restart (or a deliberate rerun,
// dns.fft_wisdom) plan exactly the same transforms, so measured plans keep
// restarts bit-for-bit. Wisdom only applies to the same grid and rank count;
// for anything else FFTW measures afresh.
#pragma once

#include <mpi.h>

#include <string>

namespace flex::dns {

// Drops the process's accumulated wisdom, so the next plans come only from
// what is loaded next or from FFTW's own planning.
void forget_fft_wisdom();

// Collective: rank 0 reads `path` and every rank receives its wisdom.
// InputError naming the file if it is missing or not FFTW wisdom.
void load_fft_wisdom(const std::string& path, MPI_Comm comm);
// The same, returning false on every rank instead when `path` is missing or
// unreadable (e.g. written by another FFTW version).
bool try_load_fft_wisdom(const std::string& path, MPI_Comm comm);

// Collective: gathers every rank's wisdom on rank 0 and gives every rank that
// merged wisdom, exactly what save_fft_wisdom() writes. Ranks time their local
// transforms separately and may choose differently for the same sub-problem;
// the merge keeps one choice, so plans made after this are the plans a restart
// from the saved file makes.
void settle_fft_wisdom(MPI_Comm comm);

// Collective: gathers every rank's wisdom; rank 0 writes it to `path`
// (temporary file, then rename).
void save_fft_wisdom(const std::string& path, MPI_Comm comm);

}  // namespace flex::dns
