# Every external package flex needs, found once, exposed as targets.

find_package(MPI REQUIRED COMPONENTS C CXX)

# --- LibTorch -------------------------------------------------------------
find_package(Torch REQUIRED)
# A LibTorch built with the old std::string ABI (older pip wheels) cannot link
# with the Boost and MPI C++ the system builds with the C++11 one: say so here
# rather than with undefined references at the link (doc/install.md).
if(TORCH_CXX_FLAGS MATCHES "_GLIBCXX_USE_CXX11_ABI=0")
  message(FATAL_ERROR "The LibTorch found at ${Torch_DIR} was built with the pre-C++11 string ABI "
          "(_GLIBCXX_USE_CXX11_ABI=0); flex's other C++ libraries (Boost.Program_options) use the C++11 one. "
          "Use a LibTorch built with the C++11 ABI (torch.compiled_with_cxx11_abi() is True; see doc/install.md).")
endif()
# TORCH_LIBRARIES mixes targets and paths; wrap it so consumers link one target.
add_library(flex_torch INTERFACE)
target_link_libraries(flex_torch INTERFACE ${TORCH_LIBRARIES})
target_compile_options(flex_torch INTERFACE -Wno-unused-parameter)
# A CUDA build of LibTorch (pip wheels, site modules) exports c10_cuda: its
# current-stream API is what the NCCL communicator orders reductions against.
set(FLEX_TORCH_CUDA OFF)
if(TARGET c10_cuda)
  set(FLEX_TORCH_CUDA ON)
endif()

# --- parallel HDF5 --------------------------------------------------------
set(HDF5_PREFER_PARALLEL TRUE)
find_package(HDF5 REQUIRED COMPONENTS C)
if(NOT HDF5_IS_PARALLEL)
  message(FATAL_ERROR "flex needs a parallel (MPI-IO) HDF5, but the HDF5 found at "
          "'${HDF5_INCLUDE_DIRS}' is serial. On Debian install libhdf5-openmpi-dev, "
          "or point HDF5_ROOT at a parallel build.")
endif()
add_library(flex_hdf5 INTERFACE)
target_include_directories(flex_hdf5 SYSTEM INTERFACE ${HDF5_C_INCLUDE_DIRS} ${HDF5_INCLUDE_DIRS})
target_link_libraries(flex_hdf5 INTERFACE ${HDF5_C_LIBRARIES} MPI::MPI_C)
target_compile_definitions(flex_hdf5 INTERFACE ${HDF5_C_DEFINITIONS} ${HDF5_DEFINITIONS})

# --- Kokkos ---------------------------------------------------------------
find_package(Kokkos REQUIRED)
add_library(flex_kokkos INTERFACE)
if(NOT TARGET Kokkos::kokkos)
  add_library(Kokkos::kokkos INTERFACE IMPORTED)
  set_target_properties(Kokkos::kokkos PROPERTIES INTERFACE_LINK_LIBRARIES "${Kokkos_LIBRARIES}")
endif()
# Debian's Trilinos Kokkos target names a missing include directory
# (/usr/lib/include): point it at the folder that holds Kokkos_Core.hpp.
get_target_property(_kokkos_inc Kokkos::kokkos INTERFACE_INCLUDE_DIRECTORIES)
set(_kokkos_inc_ok FALSE)
foreach(dir IN LISTS _kokkos_inc)
  if(EXISTS ${dir}/Kokkos_Core.hpp)
    set(_kokkos_inc_ok TRUE)
  endif()
endforeach()
if(NOT _kokkos_inc_ok)
  find_path(FLEX_KOKKOS_INCLUDE_DIR Kokkos_Core.hpp HINTS ${Kokkos_INCLUDE_DIRS} PATH_SUFFIXES trilinos REQUIRED)
  set_target_properties(Kokkos::kokkos PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${FLEX_KOKKOS_INCLUDE_DIR}")
endif()
target_link_libraries(flex_kokkos INTERFACE Kokkos::kokkos)

# --- Boost.Program_options ------------------------------------------------
find_package(Boost REQUIRED COMPONENTS program_options)
# The one JSON reader/writer of the code base (reports, metrics, checkpoint state).
find_package(nlohmann_json 3.10 REQUIRED)

# --- FFTW3 (double) with its MPI interface --------------------------------
find_path(FFTW3_INCLUDE_DIR fftw3-mpi.h REQUIRED)
find_library(FFTW3_LIBRARY fftw3 REQUIRED)
find_library(FFTW3_MPI_LIBRARY fftw3_mpi REQUIRED)
add_library(flex_fftw INTERFACE)
target_include_directories(flex_fftw SYSTEM INTERFACE ${FFTW3_INCLUDE_DIR})
target_link_libraries(flex_fftw INTERFACE ${FFTW3_MPI_LIBRARY} ${FFTW3_LIBRARY} MPI::MPI_C)

# --- CUDA Toolkit and NCCL (optional) ---------------------------------------
set(FLEX_HAVE_CUDA OFF)
set(FLEX_HAVE_NCCL OFF)
if(NOT FLEX_ENABLE_CUDA STREQUAL "OFF")
  if(NOT CUDAToolkit_ROOT AND EXISTS /usr/local/cuda)
    set(CUDAToolkit_ROOT /usr/local/cuda)
  endif()
  find_package(CUDAToolkit QUIET)
  find_path(NCCL_INCLUDE_DIR nccl.h HINTS ${CUDAToolkit_INCLUDE_DIRS} $ENV{NCCL_HOME}/include)
  find_library(NCCL_LIBRARY nccl HINTS ${CUDAToolkit_LIBRARY_DIR} $ENV{NCCL_HOME}/lib)
  if(CUDAToolkit_FOUND)
    set(FLEX_HAVE_CUDA ON)
    if(NCCL_INCLUDE_DIR AND NCCL_LIBRARY)
      set(FLEX_HAVE_NCCL ON)
      add_library(flex_nccl INTERFACE)
      target_include_directories(flex_nccl SYSTEM INTERFACE ${NCCL_INCLUDE_DIR})
      target_link_libraries(flex_nccl INTERFACE ${NCCL_LIBRARY} CUDA::cudart)
    endif()
  elseif(FLEX_ENABLE_CUDA STREQUAL "ON")
    message(FATAL_ERROR "FLEX_ENABLE_CUDA=ON but no CUDA Toolkit was found (set CUDAToolkit_ROOT)")
  endif()
endif()
message(STATUS "flex: CUDA paths ${FLEX_HAVE_CUDA}, NCCL ${FLEX_HAVE_NCCL}, LibTorch with CUDA ${FLEX_TORCH_CUDA}, "
               "LibTorch ${Torch_VERSION}, HDF5 ${HDF5_VERSION} (parallel), Kokkos ${Kokkos_VERSION}")
