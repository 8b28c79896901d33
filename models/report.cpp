#include "models/report.h"

#include <cinttypes>
#include <cmath>
#include <cstdio>

#include "gilsim_version.h"

namespace gilsim {

using nlohmann::ordered_json;

namespace {

/// Ratios are rounded to 6 decimals so reports stay short; the rounding is deterministic.
double round6(double x) { return std::round(x * 1e6) / 1e6; }

const char* kStateKeys[kThreadStateCount] = {"not_started", "running_gil", "running_native", "waiting_gil",
                                             "runnable",    "io",          "finished"};

template <typename T>
ordered_json opt(const std::optional<T>& v) {
  return v ? ordered_json(*v) : ordered_json(nullptr);
}
ordered_json opt_ratio(const std::optional<double>& v) { return v ? ordered_json(round6(*v)) : ordered_json(nullptr); }

ordered_json latency_json(const LatencyHistogram& h) {
  ordered_json j;
  j["count"] = h.count();
  j["mean"] = static_cast<int64_t>(std::llround(h.mean()));
  j["p50"] = h.percentile(50);
  j["p90"] = h.percentile(90);
  j["p99"] = h.percentile(99);
  j["max"] = h.max();
  return j;
}

}  // namespace

const char* state_name(ThreadState s) { return kStateKeys[static_cast<size_t>(s)]; }

std::string fingerprint_hex(uint64_t f) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016" PRIx64, f);
  return buf;
}

std::string human_time(int64_t ns) {
  char buf[64];
  const double v = static_cast<double>(ns);
  if (ns < 1000) std::snprintf(buf, sizeof buf, "%" PRId64 " ns", ns);
  else if (ns < 1000000) std::snprintf(buf, sizeof buf, "%.3g us", v / 1e3);
  else if (ns < 1000000000) std::snprintf(buf, sizeof buf, "%.4g ms", v / 1e6);
  else std::snprintf(buf, sizeof buf, "%.4f s", v / 1e9);
  return buf;
}

std::string human_rate(double per_s) {
  const long long v = std::llround(per_s);
  std::string digits = std::to_string(v < 0 ? -v : v), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return (v < 0 ? "-" : "") + out;
}

ordered_json report_json(const Outcome& o, const Analysis& a) {
  const Scenario& sc = o.scenario;
  const RunResult& r = o.run;
  ordered_json j;
  j["schema_version"] = kSchemaVersion;
  j["tool_version"] = GILSIM_VERSION;
  j["scenario"] = sc.name;
  j["seed"] = sc.seed;
  j["policy"] = sc.interpreter.gil;
  j["machine_cores"] = sc.machine.cores;
  j["fingerprint"] = fingerprint_hex(r.fingerprint);
  j["events"] = r.events;
  j["makespan_ns"] = r.end.count();
  j["serial_ns"] = o.serial.complete ? ordered_json(o.serial.end.count()) : ordered_json(nullptr);
  j["speedup"] = o.speedup ? ordered_json(round6(*o.speedup)) : ordered_json(nullptr);
  j["ideal_speedup"] = opt_ratio(a.ideal_speedup);
  j["bound"] = a.bound.empty() ? ordered_json(nullptr) : ordered_json(a.bound);
  j["fairness"] = ordered_json{{"jain_cpu_bound", opt_ratio(a.jain)}};
  j["starvation_threshold_ns"] = a.starvation_threshold.count();
  ordered_json g;
  g["switches"] = r.gil.switches;
  g["drop_requests"] = r.gil.drop_requests;
  g["forced_switches"] = r.gil.forced_switches;
  g["failed_acquires"] = r.gil.failed_acquires;
  g["contended_checks"] = r.gil.contended_checks;
  g["held_ns"] = r.gil.held.count();
  j["gil"] = g;
  ordered_json threads = ordered_json::array();
  for (size_t i = 0; i < r.threads.size(); ++i) {
    const ThreadResult& t = r.threads[i];
    const ThreadAnalysis& ta = a.threads[i];
    ordered_json tj;
    tj["name"] = t.name;
    tj["daemon"] = t.daemon;
    tj["finish_ns"] = t.finished ? ordered_json(t.finish.count()) : ordered_json(nullptr);
    tj["cpu_ns"] = t.cpu.count();
    tj["gil_held_ns"] = t.m.gil_held.count();
    tj["gil_wait_ns"] = t.m.in_state[static_cast<size_t>(ThreadState::kWaitingGil)].count();
    tj["acquisitions"] = t.m.acquisitions;
    tj["io_ops"] = t.m.io_ops;
    tj["failed_acquires"] = t.m.failed_acquires;
    tj["gil_latency_ns"] = latency_json(t.m.latency);
    tj["return_latency_ns"] = latency_json(t.m.return_latency);
    tj["iteration_ns"] = latency_json(t.m.iteration);
    tj["wait_share"] = round6(ta.wait_share);
    tj["longest_wait_ns"] = t.m.longest_wait.count();
    tj["starved"] = ta.starved;
    tj["forced_drops"] = t.m.forced_drops;
    tj["voluntary_switches"] = t.voluntary_switches;
    tj["involuntary_switches"] = t.involuntary_switches;
    tj["io_ops_per_s"] = opt_ratio(ta.io_ops_per_s);
    tj["alone_ns"] = ta.alone ? ordered_json(ta.alone->count()) : ordered_json(nullptr);
    tj["alone_io_ops_per_s"] = opt_ratio(ta.alone_io_ops_per_s);
    tj["slowdown"] = opt_ratio(ta.slowdown);
    ordered_json blocked = ordered_json::array();
    for (const Blocker& b : t.m.blockers)
      if (b.thread >= 0) blocked.push_back(ordered_json{{"thread", r.threads[static_cast<size_t>(b.thread)].name}, {"ns", b.waited.count()}});
    tj["blocked_by"] = blocked;
    ordered_json st;
    for (int s = 0; s < kThreadStateCount; ++s) st[kStateKeys[s]] = t.m.in_state[static_cast<size_t>(s)].count();
    tj["state_ns"] = st;
    threads.push_back(tj);
  }
  j["threads"] = threads;
  ordered_json cores = ordered_json::array();
  for (const auto& c : r.cores) cores.push_back(ordered_json{{"busy_ns", c.busy.count()}, {"context_switches", c.context_switches}});
  j["cores"] = cores;
  return j;
}

std::string report_text(const Outcome& o, const Analysis& a) {
  const Scenario& sc = o.scenario;
  const RunResult& r = o.run;
  std::string s;
  char buf[512];
  std::snprintf(buf, sizeof buf, "scenario %s: policy %s, %d core%s, seed %" PRIu64 "\n", sc.name.c_str(),
                sc.interpreter.gil.c_str(), sc.machine.cores, sc.machine.cores == 1 ? "" : "s", sc.seed);
  s += buf;
  if (!sc.description.empty()) s += "  " + sc.description + "\n";
  s += "\nmakespan  " + human_time(r.end.count());
  if (o.serial.complete) s += "    serial " + human_time(o.serial.end.count());
  if (o.speedup) {
    std::snprintf(buf, sizeof buf, "    speedup %.3fx", *o.speedup);
    s += buf;
    if (a.ideal_speedup) {
      std::snprintf(buf, sizeof buf, " (ideal on %d core%s: %.2fx)", sc.machine.cores, sc.machine.cores == 1 ? "" : "s", *a.ideal_speedup);
      s += buf;
    }
    s += "\n";
    if (!a.bound_why.empty()) s += "          " + a.bound_why + "\n";
  } else {
    s += "    speedup undefined: " + o.why_no_speedup + "\n";
  }
  const double span = r.end.count() > 0 ? static_cast<double>(r.end.count()) : 1.0;
  std::snprintf(buf, sizeof buf,
                "GIL       held %.1f%% of the run; %" PRIu64 " switches, %" PRIu64 " drop requests, %" PRIu64
                " forced switches, %" PRIu64 " failed acquisitions\n\n",
                100.0 * static_cast<double>(r.gil.held.count()) / span, r.gil.switches, r.gil.drop_requests,
                r.gil.forced_switches, r.gil.failed_acquires);
  s += buf;
  std::snprintf(buf, sizeof buf, "%-16s %11s %11s %11s %11s %9s %8s %11s %11s %11s\n", "thread", "finish", "cpu",
                "gil held", "gil wait", "acquires", "io ops", "wait p50", "wait p99", "wait max");
  s += buf;
  for (const auto& t : r.threads) {
    const auto& h = t.m.latency;
    std::snprintf(buf, sizeof buf, "%-16s %11s %11s %11s %11s %9" PRIu64 " %8" PRIu64 " %11s %11s %11s\n",
                  (t.name + (t.daemon ? "*" : "")).c_str(), t.finished ? human_time(t.finish.count()).c_str() : "-",
                  human_time(t.cpu.count()).c_str(), human_time(t.m.gil_held.count()).c_str(),
                  human_time(t.m.in_state[static_cast<size_t>(ThreadState::kWaitingGil)].count()).c_str(),
                  t.m.acquisitions, t.m.io_ops, human_time(h.percentile(50)).c_str(),
                  human_time(h.percentile(99)).c_str(), human_time(h.max()).c_str());
    s += buf;
  }
  bool any_daemon = false;
  for (const auto& t : r.threads) any_daemon = any_daemon || t.daemon;
  if (any_daemon) s += "(* daemon thread: does not keep the run alive)\n";
  // Convoys: threads that give the GIL up for I/O or C code and wait to get it back.
  std::string notes;
  for (size_t i = 0; i < r.threads.size(); ++i) {
    const ThreadResult& t = r.threads[i];
    const ThreadAnalysis& ta = a.threads[i];
    const LatencyHistogram& h = t.m.return_latency;
    if (ta.releases && h.count() > 0 && h.percentile(50) > 0) {
      const Blocker* top = nullptr;
      for (const Blocker& b : t.m.blockers)
        if (b.thread >= 0 && (!top || b.waited > top->waited)) top = &b;
      notes += "  " + t.name + ": each return from I/O or C code waited " + human_time(h.percentile(50)) + " (p50, p99 " +
               human_time(h.percentile(99)) + ") for the GIL";
      if (top) notes += ", mostly held by " + r.threads[static_cast<size_t>(top->thread)].name;
      if (ta.io_ops_per_s) {
        notes += "; " + human_rate(*ta.io_ops_per_s) + " I/O ops/s";
        if (ta.alone_io_ops_per_s) notes += " vs " + human_rate(*ta.alone_io_ops_per_s) + " alone";
      }
      if (ta.slowdown) {
        std::snprintf(buf, sizeof buf, " (%.1fx slower than alone)", *ta.slowdown);
        notes += buf;
      }
      notes += "\n";
    }
  }
  for (size_t i = 0; i < r.threads.size(); ++i)
    if (a.threads[i].starved)
      notes += "  " + r.threads[i].name + " starves: one wait for the GIL lasted " + human_time(r.threads[i].m.longest_wait.count()) +
               " (threshold " + human_time(a.starvation_threshold.count()) + ")\n";
  if (a.jain) {
    std::snprintf(buf, sizeof buf, "  fairness of GIL time among CPU-bound threads (Jain's index, 1 = equal): %.3f\n", *a.jain);
    notes += buf;
  }
  if (!notes.empty()) s += "\n" + notes;
  s += "\n";
  for (size_t c = 0; c < r.cores.size(); ++c) {
    std::snprintf(buf, sizeof buf, "core %-3zu busy %5.1f%%  %" PRIu64 " context switches\n", c,
                  100.0 * static_cast<double>(r.cores[c].busy.count()) / span, r.cores[c].context_switches);
    s += buf;
  }
  std::snprintf(buf, sizeof buf, "\n%" PRIu64 " events, fingerprint %s, gilsim %s\n", r.events,
                fingerprint_hex(r.fingerprint).c_str(), GILSIM_VERSION);
  s += buf;
  return s;
}

std::string report_csv_header() {
  return "scenario,policy,seed,cores,makespan_ns,serial_ns,speedup,fingerprint,thread,daemon,finish_ns,cpu_ns,"
         "gil_held_ns,gil_wait_ns,acquisitions,io_ops,failed_acquires,latency_mean_ns,latency_p50_ns,"
         "latency_p90_ns,latency_p99_ns,latency_max_ns,return_p50_ns,return_p99_ns,wait_share,longest_wait_ns,starved,"
         "io_ops_per_s,alone_io_ops_per_s,slowdown\n";
}

std::string report_csv(const Outcome& o, const Analysis& a, bool header) {
  const Scenario& sc = o.scenario;
  const RunResult& r = o.run;
  std::string s;
  if (header) s += report_csv_header();
  char speed[64] = "";
  if (o.speedup) std::snprintf(speed, sizeof speed, "%.6f", round6(*o.speedup));
  auto num = [](const std::optional<double>& v) {
    char b[64] = "";
    if (v) std::snprintf(b, sizeof b, "%.6f", round6(*v));
    return std::string(b);
  };
  for (size_t i = 0; i < r.threads.size(); ++i) {
    const ThreadResult& t = r.threads[i];
    const ThreadAnalysis& ta = a.threads[i];
    const auto& h = t.m.latency;
    char buf[768];
    std::snprintf(buf, sizeof buf,
                  "\"%s\",%s,%" PRIu64 ",%d,%" PRId64 ",%s,%s,%s,\"%s\",%d,%s,%" PRId64 ",%" PRId64 ",%" PRId64
                  ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%lld,%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 "\n",
                  sc.name.c_str(), sc.interpreter.gil.c_str(), sc.seed, sc.machine.cores, r.end.count(),
                  o.serial.complete ? std::to_string(o.serial.end.count()).c_str() : "", speed,
                  fingerprint_hex(r.fingerprint).c_str(), t.name.c_str(), t.daemon ? 1 : 0,
                  t.finished ? std::to_string(t.finish.count()).c_str() : "", t.cpu.count(), t.m.gil_held.count(),
                  t.m.in_state[static_cast<size_t>(ThreadState::kWaitingGil)].count(), t.m.acquisitions, t.m.io_ops,
                  t.m.failed_acquires, std::llround(h.mean()), h.percentile(50), h.percentile(90), h.percentile(99),
                  h.max());
    s += buf;
    s.pop_back();  // the newline: the analysis columns follow
    std::snprintf(buf, sizeof buf, ",%" PRId64 ",%" PRId64 ",%.6f,%" PRId64 ",%d,%s,%s,%s\n", t.m.return_latency.percentile(50),
                  t.m.return_latency.percentile(99), round6(ta.wait_share), t.m.longest_wait.count(), ta.starved ? 1 : 0,
                  num(ta.io_ops_per_s).c_str(), num(ta.alone_io_ops_per_s).c_str(), num(ta.slowdown).c_str());
    s += buf;
  }
  return s;
}

}  // namespace gilsim
