#include "models/scenario_loader.h"

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "models/gil_registry.h"
#include "models/program_check.h"

namespace gilsim {

using nlohmann::json;

namespace {

constexpr int kMaxJsonDepth = 64;
constexpr int64_t kMaxCount = 100000;

/// A JSON value together with its path, for precise error messages.
class Node {
public:
  Node(const json& v, std::string path, const std::string& file) : v_(v), path_(std::move(path)), file_(file) {}

  [[noreturn]] void fail(const std::string& msg) const { throw InputError(file_, path_.empty() ? "/" : path_, msg); }
  const json& value() const { return v_; }
  const std::string& path() const { return path_; }

  Node at(const std::string& key) const { return Node(v_.at(key), path_ + "/" + key, file_); }
  Node at(size_t i) const { return Node(v_.at(i), path_ + "/" + std::to_string(i), file_); }
  bool has(const std::string& key) const { return v_.contains(key); }

  void expect_object(const char* what) const {
    if (!v_.is_object()) fail(std::string("expected ") + what + " (a JSON object), got " + type_name());
  }
  /// Every key must be one of `allowed`.
  void only_keys(std::initializer_list<const char*> allowed) const {
    for (auto it = v_.begin(); it != v_.end(); ++it) {
      bool ok = false;
      for (const char* a : allowed) ok = ok || it.key() == a;
      if (!ok) {
        std::string list;
        for (const char* a : allowed) list += std::string(list.empty() ? "" : ", ") + a;
        Node(it.value(), path_ + "/" + it.key(), file_).fail("unknown key \"" + it.key() + "\" (allowed: " + list + ")");
      }
    }
  }
  std::string type_name() const {
    if (v_.is_number_float()) {
      const double d = v_.get<double>();
      if (d >= 9223372036854775808.0 || d < -9223372036854775808.0) return "a number too large for a 64-bit integer (" + v_.dump() + ")";
      return d == static_cast<double>(static_cast<int64_t>(d)) ? "a number written with a fraction or exponent (" + v_.dump() + ")"
                                                               : "a fractional number";
    }
    if (v_.is_number_integer()) return "an integer";
    if (v_.is_object() || v_.is_array()) return std::string("an ") + v_.type_name();
    return std::string("a ") + v_.type_name();
  }

  std::string str() const {
    if (!v_.is_string()) fail("expected a string, got " + type_name());
    return v_.get<std::string>();
  }
  bool boolean() const {
    if (!v_.is_boolean()) fail("expected true or false, got " + type_name());
    return v_.get<bool>();
  }
  int64_t integer(int64_t lo, int64_t hi) const {
    if (v_.is_number_unsigned()) {  // every non-negative integer literal: the lower bound matters too
      const uint64_t u = v_.get<uint64_t>();
      if (u > static_cast<uint64_t>(hi)) fail("must be at most " + std::to_string(hi) + ", got " + v_.dump());
      if (static_cast<int64_t>(u) < lo)
        fail("must be between " + std::to_string(lo) + " and " + std::to_string(hi) + ", got " + v_.dump());
      return static_cast<int64_t>(u);
    }
    if (!v_.is_number_integer()) fail("expected an integer, got " + type_name());
    const int64_t x = v_.get<int64_t>();
    if (x < lo || x > hi)
      fail("must be between " + std::to_string(lo) + " and " + std::to_string(hi) + ", got " + std::to_string(x));
    return x;
  }
  uint64_t uinteger() const {
    if (v_.is_number_unsigned()) return v_.get<uint64_t>();
    if (v_.is_number_integer()) {
      if (v_.get<int64_t>() < 0) fail("must not be negative, got " + v_.dump());
      return static_cast<uint64_t>(v_.get<int64_t>());
    }
    fail("expected a non-negative integer, got " + type_name());
  }
  double number(double lo, double hi) const {
    if (!v_.is_number()) fail("expected a number, got " + type_name());
    const double d = v_.get<double>();
    if (!(d >= lo && d <= hi)) fail("must be between " + json(lo).dump() + " and " + json(hi).dump() + ", got " + v_.dump());
    return d;
  }
  /// A fixed duration: "1.5ms" or an integer of nanoseconds.
  Time duration() const {
    if (v_.is_string()) {
      int64_t ns;
      std::string why;
      if (!parse_duration_string(v_.get<std::string>(), ns, why)) fail("bad duration \"" + v_.get<std::string>() + "\": " + why);
      return Time::ns(ns);
    }
    if (v_.is_number_integer() || v_.is_number_unsigned()) {
      if (v_.is_number_integer() && !v_.is_number_unsigned() && v_.get<int64_t>() < 0)
        fail("negative duration " + v_.dump());
      if (v_.get<uint64_t>() > static_cast<uint64_t>(kMaxDurationNs))
        fail("duration too large: " + v_.dump() + " ns (at most 2^53 ns, about 104 days)");
      return Time::ns(v_.get<int64_t>());
    }
    fail("expected a duration (a string such as \"5ms\" or an integer of nanoseconds), got " + type_name());
  }
  /// A duration or a distribution; `ticks` allowed for CPU phases.
  DurationSpec duration_spec(bool allow_ticks) const {
    if (!v_.is_object()) return DurationSpec::fixed(duration());
    if (v_.size() != 1)
      fail("a distribution has exactly one key: uniform, exp, normal, quantiles" + std::string(allow_ticks ? " or ticks" : ""));
    const std::string k = v_.begin().key();
    const Node arg = at(k);
    DurationSpec d;
    if (k == "ticks") {
      if (!allow_ticks) fail("ticks are only for CPU phases (cpu, native, native_gil) and costs of code");
      d.kind = DurationSpec::Kind::kTicks;
      d.a = arg.integer(0, int64_t{1} << 40);
    } else if (k == "uniform") {
      if (!arg.value().is_array() || arg.value().size() != 2) arg.fail("uniform takes [low, high]");
      d.kind = DurationSpec::Kind::kUniform;
      d.a = arg.at(size_t{0}).duration().count();
      d.b = arg.at(size_t{1}).duration().count();
      if (d.a > d.b) arg.fail("uniform low is above high");
    } else if (k == "exp") {
      d.kind = DurationSpec::Kind::kExp;
      d.a = arg.duration().count();
    } else if (k == "normal") {
      arg.expect_object("{\"mean\": ..., \"sd\": ...}");
      arg.only_keys({"mean", "sd"});
      if (!arg.has("mean") || !arg.has("sd")) arg.fail("normal needs both mean and sd");
      d.kind = DurationSpec::Kind::kNormal;
      d.a = arg.at("mean").duration().count();
      d.b = arg.at("sd").duration().count();
    } else if (k == "quantiles") {
      d = quantile_table(arg);
    } else {
      Node(arg.value(), path_ + "/" + k, file_)
          .fail("unknown distribution \"" + k + "\" (uniform, exp, normal, quantiles" + (allow_ticks ? ", ticks)" : ")"));
    }
    return d;
  }

private:
  /// [[percent, duration], ...]: a measured distribution (piecewise-linear inverse CDF).
  static DurationSpec quantile_table(const Node& arg) {
    const char* form = "quantiles takes [[percent, duration], ...] from [0, ...] to [100, ...]";
    if (!arg.value().is_array()) arg.fail(form);
    if (arg.value().size() > 1000) arg.fail("at most 1000 quantile points");
    std::vector<QuantilePoint> pts;
    for (size_t i = 0; i < arg.value().size(); ++i) {
      const Node pt = arg.at(i);
      if (!pt.value().is_array() || pt.value().size() != 2) pt.fail(std::string("expected [percent, duration]: ") + form);
      const double pct = pt.at(size_t{0}).number(0.0, 100.0);
      const int64_t ns = pt.at(size_t{1}).duration().count();
      if (i > 0 && !(pct > pts.back().percent))
        pt.at(size_t{0}).fail("percents must increase: " + pt.at(size_t{0}).value().dump() + " after " + json(pts.back().percent).dump());
      if (i > 0 && ns < pts.back().ns) pt.at(size_t{1}).fail("values must not decrease (a quantile table is a CDF)");
      pts.push_back({pct, ns});
    }
    const std::string why = check_quantiles(pts);
    if (!why.empty()) arg.fail(why);
    return DurationSpec::quantiles(std::move(pts));
  }

  const json& v_;
  std::string path_;
  const std::string& file_;
};

/// [[idle, stall], ...]: Costs::cold_start and Costs::cold_native.
std::vector<ColdPoint> cold_table(const Node& arg, const char* name) {
  const std::string form = std::string(name) + " takes [[idle, stall], ...] with increasing idle times";
  if (!arg.value().is_array()) arg.fail("expected an array: " + form);
  if (arg.value().size() > 64) arg.fail(std::string("at most 64 ") + name + " points");
  std::vector<ColdPoint> pts;
  for (size_t i = 0; i < arg.value().size(); ++i) {
    const Node pt = arg.at(i);
    if (!pt.value().is_array() || pt.value().size() != 2) pt.fail("expected [idle, stall]: " + form);
    const Time idle = pt.at(size_t{0}).duration();
    const Time stall = pt.at(size_t{1}).duration();
    if (idle <= (pts.empty() ? Time::zero() : pts.back().idle))
      pt.at(size_t{0}).fail(pts.empty() ? "the idle time must be positive" : "idle times must increase");
    if (stall > Time::s(1)) pt.at(size_t{1}).fail("a stall of more than 1s is not a cache refill");
    pts.push_back({idle, stall});
  }
  return pts;
}

/// A cost that is an object of exactly `keys` (those in `optional` may be left out), or false for
/// none: returns whether it is set.
bool optional_object(const Node& n, const char* name, std::initializer_list<const char*> keys,
                     std::initializer_list<const char*> optional = {}) {
  if (n.value().is_boolean() && !n.value().get<bool>()) return false;
  if (!n.value().is_object()) {
    std::string form;
    for (const char* k : keys) form += std::string(form.empty() ? "\"" : ", \"") + k + "\": ...";
    n.fail("expected {" + form + "}, or false for none");
  }
  n.only_keys(keys);
  for (const char* k : keys) {
    bool opt = false;
    for (const char* o : optional) opt = opt || std::string(o) == k;
    if (!opt && !n.has(k)) n.fail(std::string(name) + " needs \"" + k + "\"");
  }
  return true;
}

/// {"after": ..., "wake": ..., "wakeup_latency": ..., "adaptive": bool (optional)} or false:
/// Costs::deep_idle.
DeepIdle deep_idle(const Node& n) {
  if (!optional_object(n, "deep_idle", {"after", "wake", "wakeup_latency", "adaptive"}, {"adaptive"})) return {};
  DeepIdle d;
  d.enabled = true;
  d.after = n.at("after").duration();
  if (d.after <= Time::zero()) n.at("after").fail("a core is deep-idle after a positive time");
  d.wake = n.at("wake").duration_spec(false);
  d.wakeup_latency = n.at("wakeup_latency").duration_spec(false);
  if (n.has("adaptive")) {
    const Node a = n.at("adaptive");
    if (!a.value().is_boolean()) a.fail("expected true or false");
    d.adaptive = a.value().get<bool>();
  }
  return d;
}

/// {"before": ..., "wake": ..., "wakeup_latency": ...} or false: Costs::shallow_idle.
ShallowIdle shallow_idle(const Node& n) {
  if (!optional_object(n, "shallow_idle", {"before", "wake", "wakeup_latency"}, {})) return {};
  ShallowIdle d;
  d.enabled = true;
  const Node before = n.at("before");
  d.before = before.duration_spec(false);
  if (d.before.upper_bound(Time::zero()) == Time::max())
    before.fail("the window's end must be bounded: a duration, uniform or quantiles");
  if (d.before.upper_bound(Time::zero()) <= Time::zero())
    before.fail("a core is shallow for a positive time after its thread left");
  d.wake = n.at("wake").duration_spec(false);
  d.wakeup_latency = n.at("wakeup_latency").duration_spec(false);
  return d;
}

/// [[idle, factor, excess], ...]: Costs::cold_slow.
std::vector<SlowPoint> cold_slow(const Node& arg) {
  const std::string form = "cold_slow takes [[idle, factor, excess], ...] with increasing idle times (factor 0.25: a quarter slower)";
  if (!arg.value().is_array()) arg.fail("expected an array: " + form);
  if (arg.value().size() > 64) arg.fail("at most 64 cold_slow points");
  std::vector<SlowPoint> pts;
  for (size_t i = 0; i < arg.value().size(); ++i) {
    const Node pt = arg.at(i);
    if (!pt.value().is_array() || pt.value().size() != 3) pt.fail("expected [idle, factor, excess]: " + form);
    const Time idle = pt.at(size_t{0}).duration();
    if (idle <= (pts.empty() ? Time::zero() : pts.back().idle))
      pt.at(size_t{0}).fail(pts.empty() ? "the idle time must be positive" : "idle times must increase");
    const double f = pt.at(size_t{1}).number(0.0, 10.0);
    const Time excess = pt.at(size_t{2}).duration();
    if (excess > Time::s(1)) pt.at(size_t{2}).fail("an excess of more than 1s is not a cache refill");
    pts.push_back({idle, static_cast<int64_t>(f * 1e6 + 0.5), excess});
  }
  return pts;
}

/// {"every": ..., "for": ...} or false: Costs::stall.
Stalls stalls(const Node& n, Time tick) {
  if (n.value().is_object() && n.has("cores")) {  // optional: checked, then the rest as usual
    const Node c = n.at("cores");
    if (!c.value().is_string() || (c.value().get<std::string>() != "each" && c.value().get<std::string>() != "together"))
      c.fail("expected \"each\" or \"together\"");
  }
  if (!optional_object(n, "stall", {"every", "for", "cores"}, {"cores"})) return {};
  Stalls s;
  s.enabled = true;
  s.every = n.at("every").duration_spec(false);
  s.length = n.at("for").duration_spec(false);
  s.together = n.has("cores") && n.at("cores").value().get<std::string>() == "together";
  // stalls come one after another: a typical gap under 1us would drown the run in them
  if (s.every.typical(tick) < Time::us(1)) n.at("every").fail("stalls must come at least 1us apart, typically");
  return s;
}

void load_costs(const Node& n, Costs& c) {
  n.expect_object("machine costs");
  n.only_keys({"tick", "syscall", "wake", "context_switch", "wakeup_latency", "resched_latency", "gil_check", "socket_call",
               "socket_wakeup_latency", "timer_slack", "cold_start", "cold_native", "cold_slow", "gil_transfer", "deep_idle", "shallow_idle", "stall"});
  if (n.has("tick")) c.tick = n.at("tick").duration();
  if (n.has("syscall")) c.syscall = n.at("syscall").duration_spec(false);
  if (n.has("wake")) c.wake = n.at("wake").duration_spec(false);
  if (n.has("context_switch")) c.context_switch = n.at("context_switch").duration();
  if (n.has("wakeup_latency")) c.wakeup_latency = n.at("wakeup_latency").duration_spec(false);
  if (n.has("resched_latency")) c.resched_latency = n.at("resched_latency").duration_spec(false);
  if (n.has("gil_check")) c.gil_check = n.at("gil_check").duration_spec(false);
  if (n.has("socket_call")) c.socket_call = n.at("socket_call").duration_spec(false);
  if (n.has("socket_wakeup_latency")) c.socket_wakeup_latency = n.at("socket_wakeup_latency").duration_spec(false);
  if (n.has("timer_slack")) c.timer_slack = n.at("timer_slack").duration_spec(false);
  if (n.has("cold_start")) c.cold_start = cold_table(n.at("cold_start"), "cold_start");
  if (n.has("cold_native")) c.cold_native = cold_table(n.at("cold_native"), "cold_native");
  if (n.has("cold_slow")) c.cold_slow = cold_slow(n.at("cold_slow"));
  if (n.has("gil_transfer")) c.gil_transfer = n.at("gil_transfer").duration();
  if (n.has("deep_idle")) c.deep_idle = deep_idle(n.at("deep_idle"));
  if (n.has("shallow_idle")) c.shallow_idle = shallow_idle(n.at("shallow_idle"));
  if (c.shallow_idle.enabled && c.deep_idle.enabled && c.shallow_idle.before.upper_bound(Time::zero()) > c.deep_idle.after)
    n.at("shallow_idle").at("before").fail("longer than deep_idle.after: a core must stop being shallow before it can be deep");
  if (n.has("stall")) c.stall = stalls(n.at("stall"), c.tick);
}

void load_scheduler(const Node& n, SchedulerParams& s) {
  n.expect_object("scheduler settings");
  n.only_keys({"timeslice", "wakeup_granularity", "sleeper_credit", "wakeup_preemption", "migration_cost",
               "tick_period", "policy", "base_slice", "resched"});
  if (n.has("timeslice")) {
    s.timeslice = n.at("timeslice").duration();
    if (s.timeslice <= Time::zero()) n.at("timeslice").fail("the time slice must be positive");
  }
  if (n.has("wakeup_granularity")) s.wakeup_granularity = n.at("wakeup_granularity").duration();
  if (n.has("sleeper_credit")) s.sleeper_credit = n.at("sleeper_credit").duration();
  if (n.has("wakeup_preemption")) s.wakeup_preemption = n.at("wakeup_preemption").boolean();
  if (n.has("migration_cost")) s.migration_cost = n.at("migration_cost").duration();
  if (n.has("policy")) {
    const std::string p = n.at("policy").str();
    if (p != "cfs" && p != "eevdf") n.at("policy").fail("expected \"cfs\" or \"eevdf\", got \"" + p + "\"");
    s.eevdf = p == "eevdf";
  }
  if (n.has("resched")) {
    const std::string r = n.at("resched").str();
    if (r != "instant" && r != "ipi") n.at("resched").fail("expected \"instant\" or \"ipi\", got \"" + r + "\"");
    s.resched_ipi = r == "ipi";
  }
  if (n.has("base_slice")) s.base_slice = n.at("base_slice").duration();
  if (n.has("tick_period")) {
    s.tick_period = n.at("tick_period").duration();
    if (s.tick_period <= Time::zero()) n.at("tick_period").fail("the scheduler tick must be positive");
  }
}

void load_profile(const std::string& file, MachineConfig& m) {
  const json doc = read_json_file(file);
  const Node n(doc, "", file);
  n.expect_object("a machine profile");
  n.only_keys({"format", "kind", "name", "description", "source", "costs", "scheduler", "measurements"});
  if (n.has("format") && n.at("format").integer(1, 1) != 1) n.at("format").fail("unsupported format");
  if (n.has("kind") && n.at("kind").str() != "profile") n.at("kind").fail("expected \"profile\"");
  if (n.has("costs")) load_costs(n.at("costs"), m.costs);
  if (n.has("scheduler")) load_scheduler(n.at("scheduler"), m.scheduler);
}

/// Compiles one phase list into ops, appending to `out`.
/// Channel names of a scenario as its programs are compiled: index = Op::chan.
struct ChannelTable {
  std::vector<std::string>& names;
  std::vector<bool> sent;
  std::vector<std::string> first_recv;  ///< JSON path of the first recv of each (for errors)

  int32_t use(const Node& at, const std::string& name, bool send) {
    if (name.empty()) at.fail("a channel name must not be empty");
    size_t i = 0;
    while (i < names.size() && names[i] != name) ++i;
    if (i == names.size()) {
      names.push_back(name);
      sent.push_back(false);
      first_recv.emplace_back();
    }
    if (send) sent[i] = true;
    else if (first_recv[i].empty()) first_recv[i] = at.path();
    return static_cast<int32_t>(i);
  }
};

void compile_phases(const Node& list, std::vector<Op>& out, int depth, bool& forever, ChannelTable& chans) {
  if (!list.value().is_array()) list.fail("expected a list of phases, got " + list.type_name());
  if (list.value().empty()) list.fail("empty list of phases");
  for (size_t i = 0; i < list.value().size(); ++i) {
    const Node p = list.at(i);
    p.expect_object("a phase such as {\"cpu\": \"1ms\"}");
    if (p.has("loop") || p.has("do")) {
      p.only_keys({"loop", "do"});
      if (!p.has("loop")) p.fail("\"do\" without \"loop\": write {\"loop\": n, \"do\": [...]}");
      if (!p.has("do")) p.fail("\"loop\" without \"do\": write {\"loop\": n, \"do\": [...]}");
      if (depth + 1 > kMaxLoopDepth) p.fail("loops nested deeper than " + std::to_string(kMaxLoopDepth));
      Op begin;
      begin.kind = Op::Kind::kLoopBegin;
      const Node c = p.at("loop");
      if (c.value().is_string()) {
        if (c.str() != "forever") c.fail("expected a count or \"forever\", got \"" + c.str() + "\"");
        begin.count = -1;
        forever = true;
      } else {
        begin.count = c.integer(0, int64_t{1} << 40);
      }
      const size_t b = out.size();
      out.push_back(begin);
      compile_phases(p.at("do"), out, depth + 1, forever, chans);
      Op end;
      end.kind = Op::Kind::kLoopEnd;
      end.jump = static_cast<uint32_t>(b);
      out[b].jump = static_cast<uint32_t>(out.size());
      out.push_back(end);
      continue;
    }
    if (p.value().size() != 1) p.fail("a phase has exactly one key: cpu, io, native, native_gil, send, recv or loop");
    const std::string k = p.value().begin().key();
    Op op;
    if (k == "send" || k == "recv") {
      op.kind = k == "send" ? Op::Kind::kSend : Op::Kind::kRecv;
      const Node c = p.at(k);
      if (!c.value().is_string()) c.fail("expected a channel name (a string), got " + c.type_name());
      op.chan = chans.use(c, c.str(), op.kind == Op::Kind::kSend);
      out.push_back(op);
      continue;
    }
    if (k == "cpu") op.kind = Op::Kind::kCpu;
    else if (k == "io") op.kind = Op::Kind::kIo;
    else if (k == "native") op.kind = Op::Kind::kNative;
    else if (k == "native_gil") op.kind = Op::Kind::kNativeGil;
    else p.at(k).fail("unknown phase \"" + k + "\" (cpu, io, native, native_gil, send, recv, loop)");
    op.dur = p.at(k).duration_spec(op.kind != Op::Kind::kIo);
    out.push_back(op);
  }
}

}  // namespace

Override parse_override(const std::string& arg, const std::string& option) {
  const size_t eq = arg.find('=');
  if (eq == std::string::npos || eq == 0)
    throw InputError("", "", option + " \"" + arg + "\": expected PATH=VALUE, e.g. interpreter.switch_interval=1ms");
  return Override{arg.substr(0, eq), arg.substr(eq + 1)};
}

json parse_json_text(const std::string& text, const std::string& file) {
  struct Frame {
    bool array;
    size_t index;
    std::string key;
    std::set<std::string> keys;
  };
  std::vector<Frame> stack;
  auto where = [&](bool with_key) {
    std::string p;
    for (size_t i = 0; i < stack.size(); ++i) {
      const Frame& f = stack[i];
      const bool last = i + 1 == stack.size();
      if (f.array) p += "/" + std::to_string(f.index);
      else if (!last || with_key) p += "/" + f.key;
    }
    return p.empty() ? std::string("/") : p;
  };
  auto element_done = [&] {
    if (!stack.empty() && stack.back().array) ++stack.back().index;
  };
  json::parser_callback_t cb = [&](int depth, json::parse_event_t ev, json& parsed) -> bool {
    switch (ev) {
      case json::parse_event_t::object_start:
      case json::parse_event_t::array_start:
        if (depth >= kMaxJsonDepth) throw InputError(file, where(true), "nesting deeper than 64 levels");
        stack.push_back(Frame{ev == json::parse_event_t::array_start, 0, {}, {}});
        break;
      case json::parse_event_t::key: {
        Frame& f = stack.back();
        f.key = parsed.get<std::string>();
        if (!f.keys.insert(f.key).second) throw InputError(file, where(true), "duplicate key \"" + f.key + "\"");
        break;
      }
      case json::parse_event_t::object_end:
      case json::parse_event_t::array_end:
        stack.pop_back();
        element_done();
        break;
      case json::parse_event_t::value:
        element_done();
        break;
    }
    return true;
  };
  try {
    return json::parse(text, cb);
  } catch (const json::exception& e) {
    std::string raw = e.what();
    // "[json.exception.parse_error.101] parse error at line 3, column 5: ..." -> drop the tag
    const size_t close = raw.find("] ");
    if (close != std::string::npos) raw = raw.substr(close + 2);
    // The message quotes the input it last read: show bytes that are not printable ASCII
    // (control characters, non-UTF-8 input) as \xNN so the error stays one clean line.
    std::string msg;
    for (unsigned char c : raw) {
      if (c >= 0x20 && c < 0x7f) {
        msg += static_cast<char>(c);
      } else {
        static const char* hex = "0123456789abcdef";
        msg += {'\\', 'x', hex[c >> 4], hex[c & 15]};
      }
    }
    // The literals people try that JSON does not have.
    const size_t lr = raw.find("invalid literal; last read: '");
    if (lr != std::string::npos) {
      const size_t q = raw.find('\'', lr + 29);
      const char last = q != std::string::npos && q > lr + 29 ? raw[q - 1] : '\0';
      if (last == 'N' || last == 'I' || last == '/')
        msg += " (JSON has no NaN, Infinity or comments)";
    }
    throw InputError(file, "", "invalid JSON: " + msg);
  }
}

json read_json_file(const std::string& file) {
  std::error_code ec;
  if (std::filesystem::is_directory(file, ec)) throw InputError(file, "", "is a directory, not a scenario file");
  std::ifstream in(file, std::ios::binary);
  if (!in) throw InputError(file, "", "cannot open the file");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw InputError(file, "", "cannot read the file");
  return parse_json_text(ss.str(), file);
}

void apply_override(json& doc, const Override& o, const std::string& file) {
  // JSON values go through the strict parser (duplicate keys, nesting); anything else is a
  // string such as 1ms or py2.
  const json value = json::accept(o.value) ? parse_json_text(o.value, file) : json(o.value);
  json* cur = &doc;
  std::string pointer;
  size_t start = 0;
  for (;;) {
    const size_t dot = o.path.find('.', start);
    const std::string part = o.path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (part.empty()) throw InputError(file, o.path, "empty component in the path \"" + o.path + "\"");
    const bool last = dot == std::string::npos;
    if (cur->is_array()) {
      size_t idx = 0;
      bool numeric = !part.empty() && part.size() < 10;
      for (char c : part) numeric = numeric && c >= '0' && c <= '9';
      if (!numeric) throw InputError(file, pointer, "\"" + part + "\" is not an index into this list (in \"" + o.path + "\")");
      idx = std::stoul(part);
      if (idx >= cur->size())
        throw InputError(file, pointer, "index " + part + " is out of range: the list has " + std::to_string(cur->size()) + " items (in \"" + o.path + "\")");
      cur = &(*cur)[idx];
    } else if (cur->is_object()) {
      if (!cur->contains(part)) {
        if (last) (*cur)[part] = nullptr;
        else (*cur)[part] = json::object();
      }
      cur = &(*cur)[part];
    } else {
      throw InputError(file, pointer, "cannot go into " + std::string(cur->type_name()) + " with \"" + part + "\" (in \"" + o.path + "\")");
    }
    pointer += "/" + part;
    if (last) break;
    start = dot + 1;
  }
  *cur = value;
}

Scenario load_scenario(const json& doc, const std::string& file) {
  Scenario sc;
  sc.file = file;
  const Node root(doc, "", file);
  root.expect_object("a scenario");
  root.only_keys({"format", "name", "description", "seed", "machine", "interpreter", "threads", "processes", "limits"});
  if (root.has("format")) root.at("format").integer(1, 1);
  sc.name = root.has("name") ? root.at("name").str() : std::filesystem::path(file).stem().string();
  if (root.has("description")) sc.description = root.at("description").str();
  if (root.has("seed")) sc.seed = root.at("seed").uinteger();

  if (root.has("machine")) {
    const Node m = root.at("machine");
    m.expect_object("machine settings");
    m.only_keys({"cores", "profile", "costs", "scheduler"});
    if (m.has("cores")) {
      const Node c = m.at("cores");
      if ((c.value().is_number_integer() || c.value().is_number_unsigned()) && c.value().get<int64_t>() == 0)
        c.fail("a machine needs at least 1 core, got 0");
      sc.machine.cores = static_cast<int>(c.integer(1, 4096));
    }
    if (m.has("profile")) {
      const Node p = m.at("profile");
      std::filesystem::path pf(p.str());
      if (pf.is_relative()) pf = std::filesystem::path(file).parent_path() / pf;
      sc.machine.profile = pf.lexically_normal().string();
      if (!std::filesystem::exists(pf)) p.fail("profile file \"" + sc.machine.profile + "\" does not exist");
      if (!std::filesystem::is_regular_file(pf)) p.fail("profile \"" + sc.machine.profile + "\" is not a regular file");
      load_profile(sc.machine.profile, sc.machine);
    }
    if (m.has("costs")) load_costs(m.at("costs"), sc.machine.costs);
    if (m.has("scheduler")) load_scheduler(m.at("scheduler"), sc.machine.scheduler);
  }

  if (root.has("interpreter")) {
    const Node in = root.at("interpreter");
    in.expect_object("interpreter settings");
    in.only_keys({"gil", "check_interval", "switch_interval", "check_every", "nogil_overhead", "process_spawn",
                  "ipc_bytes", "ipc_per_byte", "clock_resolution"});
    if (in.has("gil")) {
      const Node g = in.at("gil");
      sc.interpreter.gil = g.str();
      if (!find_policy(sc.interpreter.gil)) g.fail("unknown GIL policy \"" + sc.interpreter.gil + "\" (" + policy_names() + ")");
    }
    if (in.has("check_interval")) sc.interpreter.check_interval = in.at("check_interval").integer(1, 1000000000);
    if (in.has("switch_interval")) {
      sc.interpreter.switch_interval = in.at("switch_interval").duration();
      if (sc.interpreter.switch_interval < Time::us(1))
        in.at("switch_interval").fail("must be at least 1us (CPython keeps it in whole microseconds and rejects 0)");
    }
    if (in.has("check_every")) {
      sc.interpreter.check_every = in.at("check_every").integer(1, 1000000000);
      sc.interpreter.check_every_set = true;
    }
    if (in.has("nogil_overhead")) sc.interpreter.nogil_overhead = in.at("nogil_overhead").number(0.0, 10.0);
    if (in.has("process_spawn")) sc.interpreter.process_spawn = in.at("process_spawn").duration();
    if (in.has("ipc_bytes")) sc.interpreter.ipc_bytes = in.at("ipc_bytes").integer(0, int64_t{1} << 40);
    if (in.has("ipc_per_byte")) sc.interpreter.ipc_per_byte = in.at("ipc_per_byte").duration();
    if (in.has("clock_resolution")) {
      sc.interpreter.clock_resolution = in.at("clock_resolution").duration();
      if (sc.interpreter.clock_resolution > Time::s(1)) in.at("clock_resolution").fail("must be at most 1s");
    }
  }

  if (root.has("limits")) {
    const Node l = root.at("limits");
    l.expect_object("limits");
    l.only_keys({"max_events", "horizon"});
    if (l.has("max_events")) sc.limits.max_events = static_cast<uint64_t>(l.at("max_events").integer(1, int64_t{1} << 62));
    if (l.has("horizon")) {
      sc.limits.horizon = l.at("horizon").duration();
      if (sc.limits.horizon <= Time::zero()) l.at("horizon").fail("the horizon must be positive");
    }
  }

  std::set<std::string> names;
  size_t total = 0;
  ChannelTable chans{sc.channels, {}, {}};
  // One list of thread objects: replicated, named with `prefix`, run in interpreter `process`.
  auto load_threads = [&](const Node& threads, const std::string& prefix, int process, Time offset, Time spawn) {
    if (!threads.value().is_array()) threads.fail("expected a list of threads, got " + threads.type_name());
    if (threads.value().empty()) threads.fail(process == 0 ? "a scenario needs at least one thread" : "a process needs at least one thread");
    for (size_t i = 0; i < threads.value().size(); ++i) {
      const Node t = threads.at(i);
      t.expect_object("a thread");
      t.only_keys({"name", "count", "start", "daemon", "affinity", "program"});
      ThreadSpec base;
      base.name = t.has("name") ? t.at("name").str() : "thread" + std::to_string(i);
      if (base.name.empty()) t.at("name").fail("a thread name must not be empty");
      for (unsigned char c : base.name)
        if (c < 0x20 || c == '"' || c == '\\' || c == ',' || c == '/')
          t.at("name").fail("a thread name must not contain control characters, quotes, backslashes, commas or slashes");
      const int64_t count = t.has("count") ? t.at("count").integer(0, kMaxCount) : 1;  // 0: left out (sweeps)
      if (t.has("start")) base.start = t.at("start").duration();
      base.start += offset;
      if (t.has("daemon")) base.daemon = t.at("daemon").boolean();
      if (t.has("affinity")) {  // sched_setaffinity / taskset -c: the cores it may run on
        const Node a = t.at("affinity");
        if (!a.value().is_array() || a.value().empty())
          a.fail("expected a non-empty list of core numbers (0 to machine.cores - 1), got " +
                 (a.value().is_array() ? std::string("an empty list") : a.type_name()));
        std::vector<bool> seen(static_cast<size_t>(sc.machine.cores), false);
        for (size_t k = 0; k < a.value().size(); ++k) {
          const Node c = a.at(k);
          const json& v = c.value();
          const bool beyond = v.is_number_unsigned()  ? v.get<uint64_t>() >= static_cast<uint64_t>(sc.machine.cores)
                              : v.is_number_integer() ? v.get<int64_t>() < 0 || v.get<int64_t>() >= sc.machine.cores
                                                      : false;
          if (beyond)
            c.fail("core " + v.dump() + " does not exist: machine.cores is " + std::to_string(sc.machine.cores) +
                   " (cores are numbered from 0)");
          const auto core = static_cast<size_t>(c.integer(0, sc.machine.cores - 1));
          if (seen[core]) c.fail("core " + std::to_string(core) + " is listed twice");
          seen[core] = true;
        }
        for (size_t core = 0; core < seen.size(); ++core)
          if (seen[core]) base.affinity.push_back(static_cast<int>(core));
      }
      if (!t.has("program")) t.fail("missing \"program\"");
      auto program = std::make_shared<std::vector<Op>>();
      compile_phases(t.at("program"), *program, 0, base.forever, chans);
      program->push_back(Op{});  // kEnd
      check_program_progress(*program, sc.machine.costs.tick, file, t.path() + "/program");
      program->shrink_to_fit();
      base.program = std::move(program);
      base.process = process;
      total += static_cast<size_t>(count);
      if (total > static_cast<size_t>(kMaxCount)) t.fail("more than " + std::to_string(kMaxCount) + " threads in all");
      for (int64_t k = 0; k < count; ++k) {
        ThreadSpec ts = base;
        ts.name = prefix + (count > 1 ? base.name + "#" + std::to_string(k) : base.name);
        if (!names.insert(ts.name).second) t.fail("duplicate thread name \"" + ts.name + "\"");
        sc.threads.push_back(std::move(ts));
      }
    }
    // The process's first thread does the start-up work; its other threads start once it is up.
    if (process > 0) {
      bool any = false;
      for (const ThreadSpec& ts : sc.threads) any = any || ts.process == process;
      if (!any) threads.fail("every thread of the process has count 0: nothing to run");
      for (ThreadSpec& ts : sc.threads)
        if (ts.process == process) ts.start += spawn;
      for (ThreadSpec& ts : sc.threads)
        if (ts.process == process) {
          ts.start -= spawn;
          ts.spawn = spawn;
          break;
        }
    }
  };
  if (!root.has("threads") && !root.has("processes"))
    root.fail("missing \"threads\": a scenario needs at least one thread");
  if (root.has("threads")) load_threads(root.at("threads"), "", 0, Time::zero(), Time::zero());
  if (root.has("processes")) {
    const Node procs = root.at("processes");
    if (!procs.value().is_array() || procs.value().empty()) procs.fail("expected a non-empty list of processes");
    const Time ipc = Time::ns(sc.interpreter.ipc_bytes > 0 && sc.interpreter.ipc_per_byte.count() >
                                                                 (kMaxDurationNs - sc.interpreter.process_spawn.count()) / sc.interpreter.ipc_bytes
                                  ? kMaxDurationNs
                                  : sc.interpreter.ipc_per_byte.count() * sc.interpreter.ipc_bytes);
    for (size_t i = 0; i < procs.value().size(); ++i) {
      const Node p = procs.at(i);
      p.expect_object("a process");
      p.only_keys({"name", "count", "start", "threads"});
      const std::string pname = p.has("name") ? p.at("name").str() : "process" + std::to_string(i);
      if (pname.empty()) p.at("name").fail("a process name must not be empty");
      for (unsigned char c : pname)
        if (c < 0x20 || c == '"' || c == '\\' || c == ',' || c == '/')
          p.at("name").fail("a process name must not contain control characters, quotes, backslashes, commas or slashes");
      const int64_t count = p.has("count") ? p.at("count").integer(1, 4096) : 1;
      const Time start = p.has("start") ? p.at("start").duration() : Time::zero();
      if (!p.has("threads")) p.fail("missing \"threads\"");
      for (int64_t k = 0; k < count; ++k) {
        const std::string prefix = (count > 1 ? pname + "#" + std::to_string(k) : pname) + "/";
        load_threads(p.at("threads"), prefix, sc.interpreters++, start, sc.interpreter.process_spawn + ipc);
      }
    }
  }
  if (sc.threads.empty())
    root.at(root.has("threads") ? "threads" : "processes").fail("every thread has count 0: nothing to run");
  for (size_t i = 0; i < sc.channels.size(); ++i)
    if (!chans.sent[i])
      throw InputError(file, chans.first_recv[i], "nothing sends on channel \"" + sc.channels[i] + "\": this recv would wait forever");
  bool any_live = false;
  for (const auto& t : sc.threads) any_live = any_live || !t.daemon;
  if (!any_live)
    root.at(root.has("threads") ? "threads" : "processes")
        .fail("every thread is a daemon: the run would never end (mark one \"daemon\": false)");
  return sc;
}

Scenario load_scenario_file(const std::string& file, const std::vector<Override>& overrides) {
  json doc = read_json_file(file);
  for (const auto& o : overrides) apply_override(doc, o, file);
  return load_scenario(doc, file);
}

}  // namespace gilsim
