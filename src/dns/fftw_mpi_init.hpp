// FFTW-MPI's one-time set-up, shared by the transforms and the wisdom files.
#pragma once

namespace flex::dns {

void init_fftw_mpi();  // fftw_mpi_init() once per process

}  // namespace flex::dns
