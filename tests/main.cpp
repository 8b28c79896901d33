#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include "models/invariants.h"

/// The test suite runs every simulation under the invariant checker, whatever the build type.
int main(int argc, char** argv) {
  gilsim::set_invariant_checking(true);
  return Catch::Session().run(argc, argv);
}
