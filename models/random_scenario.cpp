#include "models/random_scenario.h"

#include <algorithm>
#include <string>

#include "models/gil_registry.h"
#include "sim/rng.h"

namespace gilsim {

namespace {

using nlohmann::ordered_json;

class Gen {
public:
  explicit Gen(uint64_t seed, const char* stream = "random-scenario") : rng_(Rng::stream(seed, stable_hash(stream))) {}

  int64_t in(int64_t lo, int64_t hi) { return rng_.uniform_int(lo, hi); }
  bool chance(int percent) { return in(1, 100) <= percent; }
  template <class T>
  const T& pick(std::initializer_list<T> xs) { return xs.begin()[in(0, static_cast<int64_t>(xs.size()) - 1)]; }

  /// A duration between lo and hi ns, written in one of the accepted forms.
  ordered_json duration(int64_t lo, int64_t hi, bool distributions) {
    const int64_t v = in(lo, hi);
    if (distributions) {
      switch (in(0, 5)) {
        case 0: return {{"uniform", {std::to_string(v / 2) + "ns", std::to_string(v) + "ns"}}};
        case 1: return {{"exp", std::to_string(v) + "ns"}};
        case 2: return {{"normal", {{"mean", v}, {"sd", v / 4}}}};
        default: break;
      }
    }
    if (v % 1000 == 0 && chance(50)) return std::to_string(v / 1000) + "us";
    return chance(50) ? ordered_json(v) : ordered_json(std::to_string(v) + "ns");
  }

  ordered_json phase(bool cpu_heavy) {
    const int k = static_cast<int>(in(0, cpu_heavy ? 5 : 9));
    if (k <= 2) {
      if (chance(20)) return {{"cpu", {{"ticks", in(0, 200000)}}}};
      return {{"cpu", duration(0, 5000000, true)}};
    }
    if (k == 3) return {{"native_gil", duration(0, 200000, true)}};
    if (k == 4) return {{"native", duration(0, 2000000, true)}};
    return {{"io", chance(15) ? ordered_json("0us") : duration(1000, 2000000, true)}};
  }

  ordered_json phases(int depth, bool cpu_heavy, bool allow_forever) {
    ordered_json list = ordered_json::array();
    const int n = static_cast<int>(in(1, 4));
    for (int i = 0; i < n; ++i) {
      if (depth < 3 && chance(25)) {
        ordered_json loop;
        const bool forever = allow_forever && chance(30);
        loop["loop"] = forever ? ordered_json("forever") : ordered_json(in(0, depth == 0 ? 30 : 5));
        loop["do"] = phases(depth + 1, cpu_heavy, false);
        // A forever loop must let time pass (the loader rejects one that cannot).
        if (forever) loop["do"].push_back({{chance(50) ? "cpu" : "io", duration(1000, 2000000, false)}});
        list.push_back(loop);
      } else {
        list.push_back(phase(cpu_heavy));
      }
    }
    return list;
  }

private:
  Rng rng_;
};

}  // namespace

ordered_json random_scenario(uint64_t seed) {
  Gen g(seed);
  Gen pin(seed, "random-affinity");  // a stream of its own: the other draws stay as they were
  ordered_json doc;
  doc["format"] = 1;
  doc["name"] = std::string("random-").append(std::to_string(seed));
  doc["seed"] = g.in(1, 1000000);

  const auto& table = policies();
  const PolicyInfo& policy = table[static_cast<size_t>(g.in(0, static_cast<int64_t>(table.size()) - 1))];
  const std::string name = policy.name;

  ordered_json machine;
  const int64_t cores = g.in(1, 8);
  machine["cores"] = cores;
  if (g.chance(25)) {
    machine["costs"] = {{"tick", "1ns"}, {"syscall", "0ns"}, {"context_switch", "0ns"}, {"wakeup_latency", "0ns"}, {"gil_check", "0ns"}};
  } else if (g.chance(60)) {
    ordered_json costs;
    costs["tick"] = g.pick({"10ns", "25ns", "100ns"});
    costs["syscall"] = g.pick({"0ns", "1us", "5us"});
    costs["context_switch"] = g.pick({"0ns", "3us", "20us"});
    costs["wakeup_latency"] = g.chance(50) ? g.duration(0, 100000, true) : ordered_json("0ns");
    if (g.chance(30))
      costs["cold_start"] = ordered_json::array({ordered_json::array({"100us", "0ns"}), ordered_json::array({"1ms", g.pick({"0ns", "500ns", "2us"})}),
                                                 ordered_json::array({"20ms", g.pick({"3us", "30us"})})});
    if (g.chance(30))
      costs["cold_native"] = ordered_json::array({ordered_json::array({"1ms", g.pick({"0ns", "1us"})}),
                                                  ordered_json::array({"10ms", g.pick({"4us", "40us"})})});
    if (g.chance(30))
      costs["cold_slow"] = ordered_json::array({ordered_json::array({"1ms", 0.1, g.pick({"0ns", "5us"})}),
                                                ordered_json::array({"10ms", 0.4, g.pick({"50us", "2ms"})})});
    if (g.chance(30)) costs["gil_transfer"] = g.pick({"200ns", "5us"});
    if (g.chance(30))
      costs["deep_idle"] = {{"after", g.pick({"50us", "200us", "2ms"})}, {"wake", g.pick({"0ns", "5us"})},
                            {"wakeup_latency", g.chance(50) ? g.duration(0, 200000, true) : ordered_json("20us")}};
    if (g.chance(25))
      costs["stall"] = {{"every", g.chance(50) ? ordered_json({{"exp", g.pick({"100us", "1ms"})}}) : ordered_json(g.pick({"50us", "500us"}))},
                        {"for", g.chance(50) ? g.duration(0, 100000, true) : ordered_json("20us")},
                        {"cores", g.pick({"each", "together"})}};
    if (g.chance(25))
      costs["shallow_idle"] = {{"before", g.pick({"1us", "5us", "50us"})}, {"wake", g.pick({"0ns", "300ns"})},
                               {"wakeup_latency", g.chance(50) ? g.duration(0, 20000, true) : ordered_json("2us")}};
    if (g.chance(25)) costs["socket_wakeup_latency"] = g.chance(50) ? g.duration(0, 40000, true) : ordered_json("15us");
    machine["costs"] = costs;
  }
  if (g.chance(40))
    machine["scheduler"] = {{"timeslice", g.pick({"100us", "1ms", "3ms", "10ms"})},
                            {"wakeup_granularity", g.pick({"0ns", "1ms"})},
                            {"wakeup_preemption", g.chance(80)},
                            {"migration_cost", g.pick({"0ns", "500us"})},
                            {"policy", g.pick({"cfs", "eevdf"})},
                            {"resched", g.pick({"instant", "ipi"})}};
  doc["machine"] = machine;

  ordered_json interp;
  interp["gil"] = name;
  if (name == "py2" && g.chance(60)) interp["check_interval"] = g.pick<int64_t>({1, 10, 100, 1000});
  if (name == "py3" && g.chance(60)) {
    interp["switch_interval"] = g.pick({"50us", "500us", "1ms", "5ms"});
    if (g.chance(30)) interp["check_every"] = g.pick<int64_t>({1, 10, 100});
  }
  if (g.chance(20)) interp["clock_resolution"] = g.pick({"1us", "1ms"});
  doc["interpreter"] = interp;

  ordered_json threads = ordered_json::array();
  const int n = static_cast<int>(g.in(1, 12));
  for (int i = 0; i < n;) {
    ordered_json t;
    t["name"] = std::string("t").append(std::to_string(i));
    const int count = std::min(g.chance(20) ? static_cast<int>(g.in(2, 3)) : 1, n - i);
    if (count > 1) t["count"] = count;
    i += count;
    // The first thread never is a daemon, so every scenario has a thread that ends the run.
    const bool daemon = !threads.empty() && g.chance(20);
    if (daemon) t["daemon"] = true;
    if (g.chance(25)) t["start"] = g.duration(0, 3000000, false);
    if (pin.chance(15)) {  // sched_setaffinity: some of the cores, ascending
      ordered_json a = ordered_json::array();
      const int64_t first = pin.in(0, cores - 1);
      for (int64_t c = first; c < cores; ++c)
        if (c == first || pin.chance(40)) a.push_back(c);
      t["affinity"] = a;
    }
    t["program"] = g.phases(0, g.chance(50), daemon);
    threads.push_back(t);
  }
  doc["threads"] = threads;
  // Sometimes processes too (multiprocessing): each has its own interpreter and GIL.
  if (g.chance(15)) {
    ordered_json procs = ordered_json::array();
    const int np = static_cast<int>(g.in(1, 2));
    for (int p = 0; p < np; ++p) {
      ordered_json pt = ordered_json::array();
      const int nt = static_cast<int>(g.in(1, 3));
      for (int k = 0; k < nt; ++k) pt.push_back({{"name", std::string("w").append(std::to_string(k))}, {"program", g.phases(0, g.chance(50), false)}});
      ordered_json proc = {{"name", std::string("p").append(std::to_string(p))}, {"threads", pt}};
      if (g.chance(30)) proc["count"] = g.in(2, 3);
      procs.push_back(proc);
    }
    doc["processes"] = procs;
  }
  // Sometimes a client of an echo server in another process (send/recv over channels).
  if (g.chance(20)) {
    auto phase = [](const char* k, ordered_json v) {
      ordered_json o = ordered_json::object();
      o[k] = std::move(v);
      return o;
    };
    auto loop = [](ordered_json count, ordered_json body) {
      ordered_json o = ordered_json::object();
      o["loop"] = std::move(count);
      o["do"] = std::move(body);
      return ordered_json::array({o});
    };
    ordered_json client = ordered_json::array({phase("send", "q"), phase("recv", "a")});
    if (g.chance(50)) client.push_back(phase("cpu", g.duration(0, 20000, true)));
    ordered_json c = ordered_json::object();
    c["name"] = "client";
    c["program"] = loop(g.in(1, 300), client);
    doc["threads"].push_back(c);
    ordered_json server = ordered_json::array({phase("recv", "q")});
    if (g.chance(70)) server.push_back(phase("cpu", g.duration(0, 20000, true)));
    server.push_back(phase("send", "a"));
    ordered_json t = ordered_json::object();
    t["name"] = "server";
    t["daemon"] = true;
    t["program"] = loop("forever", server);
    ordered_json proc = ordered_json::object();
    proc["name"] = "echo";
    proc["threads"] = ordered_json::array({t});
    if (!doc.contains("processes")) doc["processes"] = ordered_json::array();
    doc["processes"].push_back(proc);
  }
  return doc;
}

}  // namespace gilsim
