# flex_add_test(<name> SOURCES <files>... LIBS <targets>... [RANKS <n>...]
#               [TIMEOUT <s>] [LABELS <labels>...])
#
# One GoogleTest executable; registered once per rank count. Rank counts above
# 1 run through ${MPIEXEC_EXECUTABLE}, as on a cluster; counts larger than
# FLEX_MPI_TEST_MAX_RANKS are skipped. Every test shares the MPI+Kokkos main
# in tests/support.
find_package(GTest REQUIRED)
# The 2-rank CLI tests are part of fixtures that 1-rank tests depend on.
if(FLEX_MPI_TEST_MAX_RANKS LESS 2)
  message(FATAL_ERROR "FLEX_MPI_TEST_MAX_RANKS = ${FLEX_MPI_TEST_MAX_RANKS}: the suite needs at least 2 "
          "(its CLI tests run at 2 ranks); select fewer tests at run time instead (ctest -L np1)")
endif()

# Reference data the tests need, inside the repository: the authors' parameter
# tables (reference/*.tsv) and the parity fixture (fixtures/parity_tiny.*).
set(FLEX_TEST_DATA_DIR ${PROJECT_SOURCE_DIR}/tests)
set(FLEX_TEST_FIXTURES ${FLEX_TEST_DATA_DIR}/fixtures)

set(FLEX_MPIEXEC_EXTRA "")
execute_process(COMMAND id -u OUTPUT_VARIABLE _flex_uid OUTPUT_STRIP_TRAILING_WHITESPACE)
if(_flex_uid STREQUAL "0")
  # Open MPI refuses root without these; containers and CI run as root.
  set(FLEX_MPIEXEC_EXTRA --allow-run-as-root --oversubscribe)
else()
  set(FLEX_MPIEXEC_EXTRA --oversubscribe)
endif()

function(flex_add_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;LIBS;RANKS;LABELS" ${ARGN})
  if(NOT ARG_RANKS)
    set(ARG_RANKS 1)
  endif()
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} flex_test_main GTest::gtest)
  target_compile_definitions(${name} PRIVATE
    FLEX_SOURCE_DIR="${PROJECT_SOURCE_DIR}" FLEX_TEST_DATA_DIR="${FLEX_TEST_DATA_DIR}")
  foreach(n IN LISTS ARG_RANKS)
    if(n GREATER FLEX_MPI_TEST_MAX_RANKS)
      continue()
    endif()
    set(test_name ${name}.np${n})
    if(n EQUAL 1)
      add_test(NAME ${test_name} COMMAND ${name})
    else()
      add_test(NAME ${test_name}
               COMMAND ${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} ${n} ${FLEX_MPIEXEC_EXTRA}
                       ${MPIEXEC_PREFLAGS} $<TARGET_FILE:${name}> ${MPIEXEC_POSTFLAGS})
    endif()
    set_tests_properties(${test_name} PROPERTIES TIMEOUT ${ARG_TIMEOUT} PROCESSORS ${n}
                         LABELS "${ARG_LABELS};np${n}"
                         ENVIRONMENT "OMP_NUM_THREADS=1;OMPI_MCA_rmaps_base_oversubscribe=1")
  endforeach()
endfunction()

# flex_add_cli_test(<name> COMMAND <args>... [RANKS n] [PASS_REGEX r] [WILL_FAIL]
#                   [TIMEOUT s])
# Runs the installed-layout `flex` executable as a user would.
function(flex_add_cli_test name)
  cmake_parse_arguments(ARG "WILL_FAIL" "RANKS;TIMEOUT;PASS_REGEX;WORKING_DIRECTORY" "COMMAND" ${ARGN})
  if(NOT ARG_RANKS)
    set(ARG_RANKS 1)
  endif()
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 120)
  endif()
  if(ARG_RANKS GREATER FLEX_MPI_TEST_MAX_RANKS)
    return()
  endif()
  set(test_name ${name}.np${ARG_RANKS})
  if(ARG_RANKS EQUAL 1)
    set(cmd $<TARGET_FILE:flex_exe> ${ARG_COMMAND})
  else()
    set(cmd ${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} ${ARG_RANKS} ${FLEX_MPIEXEC_EXTRA}
            ${MPIEXEC_PREFLAGS} $<TARGET_FILE:flex_exe> ${ARG_COMMAND})
  endif()
  if(NOT ARG_WORKING_DIRECTORY)
    set(ARG_WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
  endif()
  add_test(NAME ${test_name} COMMAND ${cmd} WORKING_DIRECTORY ${ARG_WORKING_DIRECTORY})
  set_tests_properties(${test_name} PROPERTIES TIMEOUT ${ARG_TIMEOUT} PROCESSORS ${ARG_RANKS}
                       LABELS "cli;np${ARG_RANKS}" ENVIRONMENT "OMP_NUM_THREADS=1")
  if(ARG_WILL_FAIL)
    set_tests_properties(${test_name} PROPERTIES WILL_FAIL TRUE)
  endif()
  if(ARG_PASS_REGEX)
    set_tests_properties(${test_name} PROPERTIES PASS_REGULAR_EXPRESSION "${ARG_PASS_REGEX}")
  endif()
endfunction()
