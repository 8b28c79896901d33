#pragma once
/// Random valid scenarios for property tests and fuzzing sweeps: every policy of the registry,
/// 1-8 cores, 1-12 threads, mixes of every phase kind, nested and endless loops, distributions,
/// daemon threads, start offsets and sometimes a `processes` block.

#include <cstdint>

#include <nlohmann/json.hpp>

namespace gilsim {

/// The scenario document for `seed` (the same seed gives the same document everywhere). It
/// loads without error; non-daemon threads always end, so a run with a large enough budget
/// completes. No `limits` are set: the caller picks them.
nlohmann::ordered_json random_scenario(uint64_t seed);

}  // namespace gilsim
