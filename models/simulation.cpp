#include "models/simulation.h"

#include <algorithm>

#include "models/gil_registry.h"
#include "models/input_error.h"
#include "models/interpreter.h"
#include "models/invariants.h"
#include "sim/rng.h"

namespace gilsim {

namespace {

RunResult execute(const Scenario& sc, std::vector<ThreadPlan> plans, const std::vector<std::string>& names,
                  const std::vector<bool>& daemon, Observer* extra, bool serial) {
  const PolicyInfo* info = find_policy(sc.interpreter.gil);
  if (!info) throw InputError(sc.file, "/interpreter/gil", "unknown GIL policy \"" + sc.interpreter.gil + "\" (" + policy_names() + ")");
  // One GIL per interpreter: the main process and each process of the `processes` block.
  int interpreters = 1;
  for (const ThreadPlan& p : plans) interpreters = std::max(interpreters, p.interp + 1);
  std::vector<std::unique_ptr<GilPolicy>> owned;
  std::vector<GilPolicy*> policies;
  for (int i = 0; i < interpreters; ++i) {
    owned.push_back(info->make(sc));
    policies.push_back(owned.back().get());
  }
  // A policy that runs every thread in a process of its own charges each the process start-up.
  // The serial baseline is one process: it pays no start-up.
  if (!serial)
    for (ThreadPlan& p : plans) p.spawn = Time::sat_add(p.spawn, policies.front()->spawn_cost());
  const int n = static_cast<int>(plans.size());

  Engine engine;
  // Each core has 2 timers; each thread 3 (start, I/O, wake-up) and one per-thread policy timer.
  const size_t timers = 2 * static_cast<size_t>(sc.machine.cores) + 4 * static_cast<size_t>(n) + 8;
  engine.reserve(timers, 256);
  Metrics metrics(n, interpreters, sc.interpreter.clock_resolution);
  std::vector<int> interp_of;
  for (const ThreadPlan& p : plans) interp_of.push_back(p.interp);
  metrics.set_interpreters(std::move(interp_of));
  ObserverList observers;
  observers.add(&metrics);
  if (extra) observers.add(extra);
  Interpreter ix(engine, sc.machine, sc.seed, std::move(plans), std::move(policies), observers);
  std::unique_ptr<InvariantChecker> checker;
  if (invariant_checking()) {
    checker = std::make_unique<InvariantChecker>(engine, n);
    std::vector<GilPolicy*> gils;  // `policies` was moved into the interpreter
    for (const auto& p : owned) gils.push_back(p.get());
    checker->attach(ix, gils, &metrics);
    observers.add(checker.get());
    engine.set_after_event(checker.get());
  }
  ix.start();

  RunResult r;
  r.threads.reserve(static_cast<size_t>(n));
  r.status = engine.run(RunLimits{sc.limits.max_events, sc.limits.horizon});
  r.complete = ix.live() == 0;
  r.end = engine.now();
  r.events = engine.events();
  r.fingerprint = engine.fingerprint();
  metrics.finish(engine.now());
  for (int t = 0; t < n; ++t) {
    ThreadResult tr;
    tr.name = names[t];
    tr.daemon = daemon[t];
    tr.finished = ix.finished(t);
    tr.finish = ix.finish_time(t);
    tr.cpu = ix.os().oncore_time(t);
    tr.voluntary_switches = ix.os().voluntary_switches(t);
    tr.involuntary_switches = ix.os().involuntary_switches(t);
    tr.m = metrics.take_thread(t);
    r.threads.push_back(std::move(tr));
  }
  for (int c = 0; c < ix.os().cores(); ++c) {
    const auto s = ix.os().core_stats(c);
    r.cores.push_back(CoreResult{s.busy, s.context_switches});
  }
  r.gil = metrics.gil();
  return r;
}

/// Runs `t` as the scenario gives it, in `plans` with its name and daemon flag.
void add_as_is(const ThreadSpec& t, std::vector<ThreadPlan>& plans, std::vector<std::string>& names, std::vector<bool>& daemon) {
  plans.push_back(ThreadPlan{t.start, t.daemon, {Segment{t.program.get(), stable_hash(t.name)}}, t.process, t.spawn, t.affinity});
  names.push_back(t.name);
  daemon.push_back(t.daemon);
}

}  // namespace

RunResult simulate(const Scenario& sc, Observer* extra) {
  std::vector<ThreadPlan> plans;
  std::vector<std::string> names;
  std::vector<bool> daemon;
  for (const auto& t : sc.threads) add_as_is(t, plans, names, daemon);
  return execute(sc, std::move(plans), names, daemon, extra, false);
}

RunResult simulate_serial(const Scenario& sc) {
  ThreadPlan one{Time::zero(), false, {}, 0, Time::zero(), {}};
  std::vector<ThreadPlan> plans;
  std::vector<std::string> names{"serial"};
  std::vector<bool> daemon{false};
  // The one thread doing all the work may run wherever any of them may (none pinned: anywhere).
  bool anywhere = false;
  std::vector<bool> may(static_cast<size_t>(sc.machine.cores), false);
  for (const auto& t : sc.threads)
    if (!t.daemon) {
      one.segments.push_back(Segment{t.program.get(), stable_hash(t.name)});
      anywhere = anywhere || t.affinity.empty();
      for (const int c : t.affinity) may[static_cast<size_t>(c)] = true;
    }
  if (!anywhere)
    for (int c = 0; c < sc.machine.cores; ++c)
      if (may[static_cast<size_t>(c)]) one.affinity.push_back(c);
  plans.push_back(std::move(one));
  // Peers (an echo server, say) are outside the work being serialised: they run as they are.
  for (const auto& t : sc.threads)
    if (t.peer()) add_as_is(t, plans, names, daemon);
  return execute(sc, std::move(plans), names, daemon, nullptr, true);
}

Outcome run_outcome(const Scenario& sc, Observer* extra) {
  Outcome o;
  o.scenario = sc;
  o.run = simulate(o.scenario, extra);
  if (!o.run.complete) return o;
  o.serial = simulate_serial(o.scenario);
  if (!o.serial.complete) {
    o.why_no_speedup = "the serial baseline did not finish within the scenario's limits";
  } else if (o.run.end == Time::zero()) {
    o.why_no_speedup = "the run took no simulated time";
  } else {
    o.speedup = static_cast<double>(o.serial.end.count()) / static_cast<double>(o.run.end.count());
  }
  return o;
}

}  // namespace gilsim
