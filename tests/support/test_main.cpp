// Shared GoogleTest main: MPI + Kokkos up for every test; only rank 0 prints
// results, but every rank's failure fails the process.
#include <gtest/gtest.h>

#include "flex/core/environment.hpp"

int main(int argc, char** argv) {
  flex::Environment env(argc, argv);
  ::testing::InitGoogleTest(&argc, argv);
  if (env.rank() != 0) {
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
  }
  int rc = RUN_ALL_TESTS();
  int global = 0;
  MPI_Allreduce(&rc, &global, 1, MPI_INT, MPI_MAX, env.comm());
  return global;
}
