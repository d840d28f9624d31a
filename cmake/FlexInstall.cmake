# `cmake --install` gives libflex, the flex executable, the headers and an
# exported package: find_package(flex) then link flex::flex.
include(CMakePackageConfigHelpers)

get_property(FLEX_SUBSYSTEMS GLOBAL PROPERTY FLEX_SUBSYSTEMS)
get_property(FLEX_EXTERNAL_DEPS GLOBAL PROPERTY FLEX_EXTERNAL_DEPS)
set(_flex_wrappers)
foreach(dep IN LISTS FLEX_EXTERNAL_DEPS)
  if(dep MATCHES "^flex_")
    list(APPEND _flex_wrappers ${dep})
  endif()
endforeach()
list(REMOVE_DUPLICATES _flex_wrappers)
install(TARGETS flex flex_exe ${_flex_wrappers}
        EXPORT flexTargets
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/flex DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.hpp")
install(FILES ${PROJECT_BINARY_DIR}/include/flex/config.hpp DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/flex)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/input-decks ${PROJECT_SOURCE_DIR}/validation
        DESTINATION ${CMAKE_INSTALL_DATADIR}/flex)
# The parity fixture `flex validate` finds by default (share/flex/fixtures).
install(FILES ${PROJECT_SOURCE_DIR}/tests/fixtures/parity_tiny.pt ${PROJECT_SOURCE_DIR}/tests/fixtures/parity_tiny.h5
              ${PROJECT_SOURCE_DIR}/tests/fixtures/README.md
        DESTINATION ${CMAKE_INSTALL_DATADIR}/flex/fixtures)

install(EXPORT flexTargets NAMESPACE flex:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/flex)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/flexConfig.cmake.in
  ${PROJECT_BINARY_DIR}/flexConfig.cmake INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/flex)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/flexConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/flexConfig.cmake ${PROJECT_BINARY_DIR}/flexConfigVersion.cmake
        ${PROJECT_SOURCE_DIR}/cmake/FlexDependencies.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/flex)
