-- Lmod modulefile for flex. Install with
--   cmake --install build --prefix <root>/flex/0.1.0
-- and put <this folder's parent> on MODULEPATH.
whatis("Name: flex")
whatis("Version: 0.1.0")
whatis("Description: FLEX diffusion backbone for 2D turbulence: DNS, training, inference, analysis (MPI)")
help([[
flex trains and runs FLEX (super-resolution and forecasting of 2D turbulence)
and validates it against its own DNS reference data.
  flex --help              subcommands
  flex <cmd> --help        deck keys
Decks: $FLEX_ROOT/share/flex/input-decks
]])

depends_on("openmpi")
depends_on("hdf5-parallel")
depends_on("fftw")

local root = os.getenv("FLEX_MODULE_ROOT") or "/opt/flex/0.1.0"
setenv("FLEX_ROOT", root)
prepend_path("PATH", pathJoin(root, "bin"))
prepend_path("LD_LIBRARY_PATH", pathJoin(root, "lib"))
prepend_path("CMAKE_PREFIX_PATH", root)
