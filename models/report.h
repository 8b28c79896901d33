#pragma once
/// Reports of a run: text for people, JSON and CSV for scripts. Integer nanoseconds throughout;
/// undefined ratios are null with the reason in the text report.

#include <string>

#include <nlohmann/json.hpp>

#include "models/analysis.h"
#include "models/simulation.h"

namespace gilsim {

inline constexpr int kSchemaVersion = 1;

/// The JSON report (keys in a fixed order).
nlohmann::ordered_json report_json(const Outcome& o, const Analysis& a);
/// The human report.
std::string report_text(const Outcome& o, const Analysis& a);
/// CSV: a header and one row per thread, with the run's columns repeated on each row.
std::string report_csv(const Outcome& o, const Analysis& a, bool header = true);
/// "12,345"-style rendering of a rate for people.
std::string human_rate(double per_s);
/// report_csv's header line (with its '\n').
std::string report_csv_header();

/// "1.234 ms"-style rendering of a nanosecond count for people.
std::string human_time(int64_t ns);
/// The fingerprint as 16 hex digits.
std::string fingerprint_hex(uint64_t f);

}  // namespace gilsim
