// FFTW-MPI's one-time set-up: every FFTW-MPI user (dns transforms and wisdom, analysis spectra) calls it.
#pragma once

namespace flex::dns {

void init_fftw_mpi();  // fftw_mpi_init() once per process

}  // namespace flex::dns
