#pragma once
/// The table of GIL policies: names, what they model, their parameters, and how to build each
/// from a scenario. `gilsim policies` prints it.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "models/gil_policy.h"
#include "models/scenario.h"

namespace gilsim {

struct PolicyParam {
  const char* key;      ///< under "interpreter"
  const char* dflt;
  const char* meaning;
};

struct PolicyInfo {
  const char* name;
  const char* summary;
  const char* follows;  ///< the CPython code it follows
  std::vector<PolicyParam> params;
  /// Builds the policy; throws InputError when the scenario's settings cannot work with it.
  std::unique_ptr<GilPolicy> (*make)(const Scenario&);
};

const std::vector<PolicyInfo>& policies();
const PolicyInfo* find_policy(std::string_view name);
/// "py2, py3, ..." for messages.
std::string policy_names();

}  // namespace gilsim
