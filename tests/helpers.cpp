#include "tests/helpers.h"

#include "models/scenario_loader.h"

namespace gilsim::test {

Scenario scenario(const std::string& json_text) { return load_scenario(parse_json_text(json_text, "test.json"), "test.json"); }

nlohmann::json zero_costs() {
  return {{"tick", "0ns"}, {"syscall", "0ns"}, {"wake", "0ns"}, {"context_switch", "0ns"}, {"wakeup_latency", "0ns"}, {"gil_check", "0ns"}, {"socket_call", "0ns"}, {"timer_slack", "0ns"}};
}

void Recorder::on_gil(Time now, int, int holder) {
  if (holder_ >= 0) holds.push_back({holder_, since_, now});
  holder_ = holder;
  since_ = now;
}

std::vector<Time> Recorder::times_of(GilEvent e) const {
  std::vector<Time> v;
  for (const auto& m : marks)
    if (m.event == e) v.push_back(m.when);
  return v;
}

}  // namespace gilsim::test
