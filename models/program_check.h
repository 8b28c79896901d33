#pragma once
/// Static checks of compiled thread programs that the JSON schema cannot express.

#include <string>
#include <vector>

#include "models/scenario.h"

namespace gilsim {

/// Most program steps a loop, or the zero-time phases of one phase list, may take without
/// simulated time advancing.
inline constexpr uint64_t kMaxStepsAtOneInstant = 1000000;

/// Rejects loops that would spin without simulated time advancing: a `forever` loop whose phases
/// can all take 0ns, or a counted one whose zero-time iterations add up to more than
/// kMaxStepsAtOneInstant steps (the run would take hours of real time at one simulated instant).
/// Also rejects tick counts that overflow 2^53 ns at the machine's tick cost. `path` is the
/// program's JSON path; throws InputError at the offending loop or phase.
void check_program_progress(const std::vector<Op>& program, Time tick, const std::string& file, const std::string& path);

}  // namespace gilsim
