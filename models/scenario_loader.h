#pragma once
/// Loading scenarios and profiles from JSON with full validation; every error names the file and
/// the JSON path. The only user of nlohmann/json besides the reports.

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "models/input_error.h"
#include "models/scenario.h"

namespace gilsim {

/// A `--set PATH=VALUE` override: a dotted path into the scenario document and its new value.
struct Override {
  std::string path;   ///< "interpreter.switch_interval", "threads.0.count"
  std::string value;  ///< JSON if it parses as JSON, else taken as a string
};

/// Splits "a.b=c" into an Override; throws InputError on a malformed argument.
Override parse_override(const std::string& arg, const std::string& option = "--set");

/// Parses JSON text strictly: duplicate keys and nesting deeper than 64 are errors.
nlohmann::json parse_json_text(const std::string& text, const std::string& file);
/// Reads and parses a file (InputError when it cannot be read or parsed).
nlohmann::json read_json_file(const std::string& file);

/// Applies one override to a scenario document (creating a missing object key, never an array
/// element). Throws InputError naming the override's path.
void apply_override(nlohmann::json& doc, const Override& o, const std::string& file);

/// Validates a scenario document and builds the Scenario. `file` names the document in errors
/// and anchors a relative `machine.profile` path.
Scenario load_scenario(const nlohmann::json& doc, const std::string& file);

/// Reads, overrides and loads a scenario file.
Scenario load_scenario_file(const std::string& file, const std::vector<Override>& overrides = {});

}  // namespace gilsim
