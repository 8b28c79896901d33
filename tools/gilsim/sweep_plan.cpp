#include "tools/gilsim/sweep_plan.h"

#include <algorithm>
#include <map>
#include <regex>
#include <set>

#include "models/input_error.h"
#include "models/scenario_loader.h"
#include "sim/rng.h"

namespace gilsim::sweep {

using nlohmann::json;
using nlohmann::ordered_json;

namespace {

/// Most values one range may expand to, and most runs in one sweep.
constexpr int64_t kMaxRangeValues = 1000000;
constexpr size_t kMaxRuns = 100000000;

/// A bad value item; callers add where it came from.
struct ItemError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

[[noreturn]] void fail(const std::string& msg) { throw ItemError(msg); }

[[noreturn]] void fail_arg(const std::string& option, const std::string& arg, const std::string& msg) {
  throw InputError("", "", option + " \"" + arg + "\": " + msg);
}

bool parse_int(const std::string& s, int64_t& out) {
  try {
    size_t used = 0;
    out = std::stoll(s, &used);
    return used == s.size();
  } catch (const std::exception&) {
    return false;
  }
}

json value_of(const std::string& text) {
  try {
    return json::parse(text);
  } catch (const json::exception&) {
    return text;  // not JSON: a string such as 1ms or py2
  }
}

}  // namespace

std::string Point::key() const {
  std::vector<std::pair<std::string, std::string>> kv;
  for (const auto& [p, v] : values) kv.emplace_back(p, v.dump());
  std::sort(kv.begin(), kv.end());
  std::string k;
  for (const auto& [p, v] : kv) k += (k.empty() ? "" : ";") + p + "=" + v;
  return k;
}

ordered_json Point::values_json() const {
  ordered_json j = ordered_json::object();
  for (const auto& [p, v] : values) j[p] = ordered_json::parse(v.dump());
  return j;
}

static std::vector<json> expand_item_or_throw(const std::string& item) {
  static const std::regex range(R"(^(-?[0-9]+)\.\.(-?[0-9]+)(?::([+x])([0-9]+))?$)");
  std::smatch m;
  if (!std::regex_match(item, m, range)) {
    static const std::regex looks_like_range(R"(^-?[0-9]+\.\..*)");
    if (std::regex_match(item, looks_like_range))
      fail("a range is a..b, a..b:+k or a..b:xk with integers a <= b (e.g. 1..64:x2)");
    if (item.empty()) fail("empty value");
    return {value_of(item)};
  }
  int64_t a = 0, b = 0, k = 1;
  if (!parse_int(m[1], a) || !parse_int(m[2], b) || (m[4].matched && !parse_int(m[4], k)))
    fail("a number of the range is too large");
  if (a > b) fail("the range is empty: " + std::to_string(a) + " > " + std::to_string(b));
  const bool times = m[3].matched && m[3] == "x";
  if (times && k < 2) fail("a factor step must be at least 2");
  if (!times && k < 1) fail("a step must be at least 1");
  if (times && a < 1) fail("a factor range must start at 1 or more");
  std::vector<json> out;
  for (int64_t v = a; v <= b;) {
    out.emplace_back(v);
    if (static_cast<int64_t>(out.size()) > kMaxRangeValues) fail("more than 1000000 values");
    if (times ? v > b / k : v > b - k) break;
    v = times ? v * k : v + k;
  }
  return out;
}

std::vector<json> expand_item(const std::string& item, const std::string& option) {
  try {
    return expand_item_or_throw(item);
  } catch (const ItemError& e) {
    fail_arg(option, item, e.what());
  }
}

std::vector<std::string> split_values(const std::string& list) {
  std::vector<std::string> out;
  std::string cur;
  int depth = 0;
  bool quoted = false, escaped = false;
  for (char c : list) {
    if (quoted) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') quoted = false;
    } else if (c == '"') {
      quoted = true;
    } else if (c == '[' || c == '{') {
      ++depth;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    } else if (c == ',' && depth == 0) {
      out.push_back(cur);
      cur.clear();
      continue;
    }
    cur += c;
  }
  out.push_back(cur);
  return out;
}

Axis parse_vary(const std::string& arg) {
  const size_t eq = arg.find('=');
  if (eq == std::string::npos || eq == 0)
    fail_arg("--vary", arg, "expected PATH=V1,V2,... or PATH=a..b, e.g. interpreter.switch_interval=1ms,5ms");
  Axis ax{arg.substr(0, eq), {}};
  const std::string list = arg.substr(eq + 1);
  if (list.empty()) fail_arg("--vary", arg, "no values after '='");
  for (const auto& item : split_values(list)) {
    if (item.empty()) fail_arg("--vary", arg, "empty value in the list");
    try {
      for (auto& v : expand_item_or_throw(item)) ax.values.push_back(std::move(v));
    } catch (const ItemError& e) {
      fail_arg("--vary", arg, "\"" + item + "\": " + e.what());
    }
  }
  return ax;
}

std::string Plan::point_id(size_t point) const {
  const std::string last = std::to_string(points.empty() ? 0 : points.size() - 1);
  std::string s = std::to_string(point);
  return std::string(last.size() > s.size() ? last.size() - s.size() : 0, '0') + s;
}

Plan make_plan(const std::vector<ordered_json>& explicit_points, const std::vector<Axis>& axes, int replications) {
  std::set<std::string> paths;
  for (const auto& ax : axes) {
    if (!paths.insert(ax.path).second) throw InputError("", "", "--vary: the path \"" + ax.path + "\" is varied twice");
    if (ax.values.empty()) throw InputError("", "", "--vary: the path \"" + ax.path + "\" has no values");
  }
  std::vector<Point> base;
  if (explicit_points.empty()) base.emplace_back();
  for (size_t i = 0; i < explicit_points.size(); ++i) {
    Point p;
    for (auto it = explicit_points[i].begin(); it != explicit_points[i].end(); ++it) {
      if (paths.count(it.key()))
        throw InputError("", "/points/" + std::to_string(i), "\"" + it.key() + "\" is both a point's value and a varied path");
      p.values.emplace_back(it.key(), json::parse(it.value().dump()));
    }
    base.push_back(std::move(p));
  }
  size_t total = base.size() * static_cast<size_t>(replications);
  for (const auto& ax : axes) {
    if (total > kMaxRuns / ax.values.size()) throw InputError("", "", "the sweep has more than 100000000 runs");
    total *= ax.values.size();
  }
  Plan plan;
  plan.replications = replications;
  for (const auto& b : base) {
    std::vector<size_t> idx(axes.size(), 0);
    for (;;) {
      Point p = b;
      for (size_t a = 0; a < axes.size(); ++a) p.values.emplace_back(axes[a].path, axes[a].values[idx[a]]);
      plan.points.push_back(std::move(p));
      size_t a = axes.size();
      while (a > 0 && ++idx[a - 1] == axes[a - 1].values.size()) idx[--a] = 0;
      if (a == 0) break;
    }
  }
  return plan;
}

int read_sweep_file(const std::string& file, std::vector<Axis>& axes, std::vector<ordered_json>& points) {
  const json doc = read_json_file(file);
  if (!doc.is_object()) throw InputError(file, "/", "expected a sweep (a JSON object with \"vary\" and/or \"points\")");
  int replications = 0;
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    const std::string& k = it.key();
    const std::string where = "/" + k;
    if (k == "format" || k == "description") continue;
    if (k == "replications") {
      if (!it->is_number_integer() || it->get<int64_t>() < 1 || it->get<int64_t>() > 1000000)
        throw InputError(file, where, "expected an integer between 1 and 1000000");
      replications = it->get<int>();
    } else if (k == "vary") {
      if (!it->is_object()) throw InputError(file, where, "expected an object {\"path\": [values] or \"a..b\"}");
      for (auto v = it->begin(); v != it->end(); ++v) {
        Axis ax{v.key(), {}};
        const std::string w = where + "/" + v.key();
        if (v->is_array()) {
          for (const auto& x : *v) ax.values.push_back(x);
        } else if (v->is_string()) {
          for (const auto& item : split_values(v->get<std::string>())) {
            try {
              for (auto& x : expand_item_or_throw(item)) ax.values.push_back(std::move(x));
            } catch (const ItemError& e) {
              throw InputError(file, w, "\"" + item + "\": " + e.what());
            }
          }
        } else {
          throw InputError(file, w, "expected a list of values or a range string such as \"1..64:x2\"");
        }
        if (ax.values.empty()) throw InputError(file, w, "no values");
        axes.push_back(std::move(ax));
      }
    } else if (k == "points") {
      if (!it->is_array() || it->empty()) throw InputError(file, where, "expected a non-empty list of objects {\"path\": value}");
      for (size_t i = 0; i < it->size(); ++i) {
        if (!(*it)[i].is_object()) throw InputError(file, where + "/" + std::to_string(i), "expected an object {\"path\": value}");
        points.push_back(ordered_json::parse((*it)[i].dump()));
      }
    } else {
      throw InputError(file, where, "unknown key \"" + k + "\" (allowed: format, description, vary, points, replications)");
    }
  }
  return replications;
}

uint64_t run_seed(uint64_t scenario_seed, const std::string& key, int replication) {
  uint64_t st = scenario_seed ^ stable_hash(key);
  splitmix64(st);
  st += static_cast<uint64_t>(replication) * 0xd1342543de82ef95ULL;
  return splitmix64(st);
}

std::pair<size_t, size_t> parse_shard(const std::string& spec) {
  static const std::regex re(R"(^([0-9]{1,9})/([0-9]{1,9})$)");
  std::smatch m;
  if (!std::regex_match(spec, m, re)) fail_arg("--shard", spec, "expected K/N with 1 <= K <= N, e.g. 2/8");
  const size_t k = std::stoul(m[1]), n = std::stoul(m[2]);
  if (n < 1 || k < 1 || k > n) fail_arg("--shard", spec, "expected K/N with 1 <= K <= N, e.g. 2/8");
  return {k, n};
}

std::pair<size_t, size_t> shard_range(size_t total, size_t k, size_t n) {
  const auto at = [&](size_t i) { return static_cast<size_t>(static_cast<uint64_t>(total) * i / n); };
  return {at(k - 1), at(k)};
}

}  // namespace gilsim::sweep
