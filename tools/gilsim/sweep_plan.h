#pragma once
/// The design of a parameter sweep: axes from --vary and sweep files, their cartesian product,
/// stable point ids, per-run seeds derived from the point's identity, and shards.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace gilsim::sweep {

/// One varied parameter: a dotted scenario path and its values in order.
struct Axis {
  std::string path;
  std::vector<nlohmann::json> values;
};

/// One point of the design: (path, value) pairs in axis order.
struct Point {
  std::vector<std::pair<std::string, nlohmann::json>> values;
  /// "path=value;..." with paths sorted and values as compact JSON: the point's identity.
  std::string key() const;
  /// {"path": value, ...} in axis order.
  nlohmann::ordered_json values_json() const;
};

/// One simulation of the sweep: a point and a replication.
struct Run {
  size_t point = 0;
  int replication = 0;
};

/// Expands one value item: an integer range "a..b", "a..b:+k", "a..b:xk", or a single value (JSON
/// when it parses as JSON, else a string). Throws InputError naming `option`.
std::vector<nlohmann::json> expand_item(const std::string& item, const std::string& option);
/// Splits a value list at top-level commas (commas inside [], {} or quotes stay).
std::vector<std::string> split_values(const std::string& list);
/// Parses "PATH=V1,V2,...". Throws InputError on a malformed argument.
Axis parse_vary(const std::string& arg);

struct Plan {
  std::vector<Point> points;
  int replications = 1;

  size_t runs() const { return points.size() * static_cast<size_t>(replications); }
  Run run(size_t index) const { return {index / static_cast<size_t>(replications), static_cast<int>(index % static_cast<size_t>(replications))}; }
  /// The zero-padded point id: width = digits of the largest index, so ids sort as text.
  std::string point_id(size_t point) const;
};

/// The design: each explicit point (or one empty point) crossed with the cartesian product of the
/// axes (the first axis varies slowest). Throws InputError on a path given twice.
Plan make_plan(const std::vector<nlohmann::ordered_json>& explicit_points, const std::vector<Axis>& axes, int replications);

/// Reads a sweep file: {"vary": {path: [values] | "range or list"}, "points": [{path: value}],
/// "replications": n}. Axes come in path order. Appends to `axes` and `points`; returns the
/// replications it names (0: none).
int read_sweep_file(const std::string& file, std::vector<Axis>& axes, std::vector<nlohmann::ordered_json>& points);

/// The seed of one run: splitmix64 of the point's own scenario seed, the hash of its key and the
/// replication. Independent of run order, --jobs and shards.
uint64_t run_seed(uint64_t scenario_seed, const std::string& key, int replication);

/// "K/N" with 1 <= K <= N. Throws InputError.
std::pair<size_t, size_t> parse_shard(const std::string& spec);
/// The contiguous block of run indices [first, last) of shard k (1-based) of n over `total` runs.
std::pair<size_t, size_t> shard_range(size_t total, size_t k, size_t n);

}  // namespace gilsim::sweep
