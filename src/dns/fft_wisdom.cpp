#include "flex/dns/fft_wisdom.hpp"

#include <fftw3-mpi.h>

#include <cstdlib>
#include <filesystem>

#include "flex/dns/fftw_mpi_init.hpp"
#include "flex/core/collectives.hpp"
#include "flex/core/error.hpp"
#include "flex/core/output.hpp"

namespace flex::dns {

void forget_fft_wisdom() { fftw_forget_wisdom(); }

bool try_load_fft_wisdom(const std::string& path, MPI_Comm comm) {
  init_fftw_mpi();
  int rank = 0;
  FLEX_CHECK_MPI(MPI_Comm_rank(comm, &rank));
  const bool read = rank == 0 && std::filesystem::is_regular_file(path) &&
                    fftw_import_wisdom_from_filename(path.c_str()) != 0;
  if (!mpi::any(read, comm)) return false;
  fftw_mpi_broadcast_wisdom(comm);
  return true;
}

void load_fft_wisdom(const std::string& path, MPI_Comm comm) {
  mpi::on_root(comm, [&] {
    FLEX_REQUIRE(std::filesystem::is_regular_file(path), path << ": no such FFTW wisdom file");
  });
  FLEX_REQUIRE(try_load_fft_wisdom(path, comm), path << ": not FFTW wisdom (or unreadable)");
}

void settle_fft_wisdom(MPI_Comm comm) {
  init_fftw_mpi();
  fftw_mpi_gather_wisdom(comm);
  int rank = 0;
  FLEX_CHECK_MPI(MPI_Comm_rank(comm, &rank));
  if (rank == 0) {
    char* text = fftw_export_wisdom_to_string();
    FLEX_CHECK(text != nullptr, "FFTW could not export its wisdom");
    fftw_forget_wisdom();
    const int ok = fftw_import_wisdom_from_string(text);
    std::free(text);
    FLEX_CHECK(ok != 0, "FFTW could not re-import its own wisdom");
  } else {
    fftw_forget_wisdom();
  }
  fftw_mpi_broadcast_wisdom(comm);
}

void save_fft_wisdom(const std::string& path, MPI_Comm comm) {
  init_fftw_mpi();
  fftw_mpi_gather_wisdom(comm);
  mpi::on_root(comm, [&] {
    const std::string tmp = output::temporary_for(path);
    if (fftw_export_wisdom_to_filename(tmp.c_str()) == 0) {
      std::error_code ec;
      std::filesystem::remove(tmp, ec);
      output::write_failed(path, "cannot write the FFTW wisdom");
    }
    output::commit(tmp, path);
  });
}

}  // namespace flex::dns
