#pragma once
/// What the fuzzer does with one input, shared with the regression test that replays the saved
/// crashers: load the bytes as a scenario and, when valid, simulate it under a small event budget
/// with the invariant checker on.

#include <cstddef>
#include <cstdint>

namespace gilsim::fuzz {

/// Events one fuzz input may run (the threaded run and its serial baseline each).
inline constexpr uint64_t kEventBudget = 20000;

/// Returns true when the bytes were a valid scenario and were simulated. Bad input (InputError)
/// returns false; anything else (a crash, another exception, an invariant violation) escapes.
bool run_input(const uint8_t* data, size_t size);

}  // namespace gilsim::fuzz
