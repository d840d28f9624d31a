# flex_subsystem(<name> [TORCH] [DEPENDS <targets>...])
#
# One folder src/<name>/ = one subsystem = one static library flex_<name>
# (alias flex::<name>), so a subsystem and its tests build and link without the
# rest of the code base. The shared libflex is assembled from the same object
# files (see src/CMakeLists.txt). DEPENDS may name other subsystems or external
# targets; TORCH marks subsystems whose sources use LibTorch: they share one
# precompiled <torch/torch.h>.
function(flex_subsystem name)
  cmake_parse_arguments(ARG "TORCH" "" "DEPENDS" ${ARGN})
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp)
  get_property(known GLOBAL PROPERTY FLEX_SUBSYSTEMS)
  set(target flex_${name})
  add_library(${target} STATIC ${sources})
  add_library(flex::${name} ALIAS ${target})
  target_include_directories(${target} PUBLIC
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
    $<BUILD_INTERFACE:${PROJECT_BINARY_DIR}/include>)
  target_compile_options(${target} PRIVATE -Wall -Wextra)
  target_link_libraries(${target} PUBLIC ${ARG_DEPENDS})
  foreach(dep IN LISTS ARG_DEPENDS)
    if(NOT dep IN_LIST known)
      set_property(GLOBAL APPEND PROPERTY FLEX_EXTERNAL_DEPS ${dep})
    endif()
  endforeach()
  if(ARG_TORCH)
    target_link_libraries(${target} PUBLIC flex_torch)
    set_property(GLOBAL APPEND PROPERTY FLEX_EXTERNAL_DEPS flex_torch)
    if(FLEX_TORCH_PCH AND TARGET flex_torch_pch)
      target_precompile_headers(${target} REUSE_FROM flex_torch_pch)
    endif()
  endif()
  set_property(GLOBAL APPEND PROPERTY FLEX_SUBSYSTEMS ${target})
endfunction()
