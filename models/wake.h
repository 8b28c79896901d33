#pragma once
/// What a wake-up asks of the waker: where the woken thread goes decides whether the waker must
/// interrupt another core, and how dearly.

#include <cstdint>

#include "models/duration.h"

namespace gilsim {

enum class WakeTarget : uint8_t {
  kLocal,     ///< the waker's own core, or no waker (a kernel timer): no interrupt to pay
  kRemote,    ///< another core, busy or briefly idle: an IPI (costs.wake)
  kDeepIdle,  ///< another core idle for costs.deep_idle.after or more (costs.deep_idle.wake)
};

/// What interrupting the woken thread's core adds for the waker: nothing for kLocal, `wake` for
/// kRemote, `deep_wake` (costs.deep_idle.wake) for kDeepIdle; drawn from the caller's stream.
inline Time ipi_cost(WakeTarget to, const DurationSpec& wake, const DurationSpec& deep_wake, Rng& rng, Time tick) {
  if (to == WakeTarget::kLocal) return Time::zero();
  return (to == WakeTarget::kDeepIdle ? deep_wake : wake).draw(rng, tick);
}

}  // namespace gilsim
