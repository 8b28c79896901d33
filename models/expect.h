#pragma once
/// Expectations over reports, for CI: `py3.speedup >= 0.9`, `nogil.makespan_ns < py3.makespan_ns`,
/// `py3.threads[io].gil_latency_ns.p99 < 2ms`.

#include <map>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

namespace gilsim {

/// A malformed expression: the message points at the offending place.
struct ExpectSyntaxError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct ExpectResult {
  bool holds = false;
  std::string detail;  ///< the operands' values, e.g. "py3.speedup = 0.71"
};

/// Checks `expr` against reports by policy name. A reference names a policy and a path into its
/// report: keys separated by dots, list items by name or index in brackets (`threads[io]`,
/// `cores[0]`). Literals are numbers, optionally with a time unit (ns, us, ms, s: converted to
/// nanoseconds). Operators: < <= > >= == !=. Throws ExpectSyntaxError for a malformed expression
/// or a reference to something the reports do not have.
ExpectResult check_expectation(const std::string& expr, const std::map<std::string, nlohmann::ordered_json>& reports);

}  // namespace gilsim
