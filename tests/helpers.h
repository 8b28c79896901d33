#pragma once
/// Test helpers: scenarios from JSON text, zero-cost machines, and an observer that records.

#include <ostream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "models/observer.h"
#include "models/scenario.h"
#include "models/simulation.h"

namespace gilsim::test {

/// Loads a scenario from JSON text (file name "test.json").
Scenario scenario(const std::string& json_text);
/// A machine whose every cost is zero: tick, system calls, context switches, wake-up latency.
nlohmann::json zero_costs();

struct Mark {
  Time when;
  GilEvent event;
  int thread;
};
struct Hold {
  int thread;
  Time from;
  Time to;
};

/// Records GIL events and GIL hold intervals.
class Recorder final : public Observer {
public:
  void on_gil(Time now, int, int holder) override;
  void on_gil_event(Time now, GilEvent e, int t) override { marks.push_back({now, e, t}); }
  std::vector<Time> times_of(GilEvent e) const;
  std::vector<Mark> marks;
  std::vector<Hold> holds;  ///< closed intervals, in order

private:
  int holder_ = -1;
  Time since_;
};

}  // namespace gilsim::test

namespace gilsim {
/// Prints times in test failures as "<n>ns".
inline std::ostream& operator<<(std::ostream& os, Time t) { return os << t.count() << "ns"; }
}  // namespace gilsim
