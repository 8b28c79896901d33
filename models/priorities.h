#pragma once
/// Event priorities: among events at the same instant, lower runs first. Each has its reason.

#include <cstdint>

namespace gilsim::prio {

/// A finished burst is handled before anything else at that instant, so work that completed
/// exactly when a slice ended or a timer fired counts as done.
inline constexpr uint8_t kBurstEnd = 10;
/// I/O completions and GIL timeouts wake threads before wake-ups arrive on cores, so a thread woken
/// at t can arrive at t when the latency is zero.
inline constexpr uint8_t kTimer = 20;
/// Woken threads reach their core.
inline constexpr uint8_t kWakeArrive = 30;
/// Time-slice expiry comes after everything else that happens at the same instant: a thread that
/// blocks or finishes exactly at the end of its slice is not preempted first.
inline constexpr uint8_t kSlice = 40;
/// Thread starts come last: they see the state the instant's other events left.
inline constexpr uint8_t kStart = 50;

}  // namespace gilsim::prio
