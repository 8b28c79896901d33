#pragma once
/// What a wake-up asks of the waker: where the woken thread goes decides whether the waker must
/// interrupt another core, and how dearly.

#include <cstdint>

namespace gilsim {

enum class WakeTarget : uint8_t {
  kLocal,     ///< the waker's own core, or no waker (a kernel timer): no interrupt to pay
  kRemote,    ///< another core, busy or briefly idle: an IPI (costs.wake)
  kDeepIdle,  ///< another core idle for costs.deep_idle.after or more (costs.deep_idle.wake)
};

}  // namespace gilsim
