/// libFuzzer target: arbitrary bytes as a scenario file (see fuzz_input.h and docs/reliability.md).

#include <cstddef>
#include <cstdint>

#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  gilsim::fuzz::run_input(data, size);
  return 0;
}
