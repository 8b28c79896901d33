#include "models/analysis.h"

#include <algorithm>
#include <cstdio>
#include <map>

namespace gilsim {

namespace {

/// Whether a program ever gives the GIL up of its own accord (I/O, C code, channels).
bool releases_gil(const std::vector<Op>& p) {
  for (const Op& op : p)
    if (op.kind == Op::Kind::kIo || op.kind == Op::Kind::kNative || op.channel()) return true;
  return false;
}

double secs(Time t) { return static_cast<double>(t.count()) / 1e9; }

/// The mean of a duration, in seconds.
double mean_s(const DurationSpec& d, Time tick) {
  switch (d.kind) {
    case DurationSpec::Kind::kFixed: return static_cast<double>(d.a) / 1e9;
    case DurationSpec::Kind::kTicks: return static_cast<double>(d.a) * static_cast<double>(tick.count()) / 1e9;
    case DurationSpec::Kind::kUniform: return (static_cast<double>(d.a) + static_cast<double>(d.b)) / 2e9;
    case DurationSpec::Kind::kExp: return static_cast<double>(d.a) / 1e9;
    case DurationSpec::Kind::kNormal: return d.a > 0 ? static_cast<double>(d.a) / 1e9 : 0.0;
    case DurationSpec::Kind::kQuantiles: {  // the mean of the piecewise-linear inverse CDF
      double m = 0;
      const auto& q = *d.table;
      for (size_t i = 1; i < q.size(); ++i)
        m += (q[i].percent - q[i - 1].percent) / 100 * (static_cast<double>(q[i].ns) + static_cast<double>(q[i - 1].ns)) / 2;
      return m / 1e9;
    }
  }
  return 0.0;
}

/// What a program asks for, without any waiting: seconds of CPU and of I/O (means for
/// distributions). Forever loops give infinity.
struct Work {
  double cpu = 0, io = 0;
};
Work program_work(const std::vector<Op>& p, Time tick) {
  Work w;
  std::vector<double> mult{1.0};
  for (const Op& op : p) {
    switch (op.kind) {
      case Op::Kind::kLoopBegin:
        mult.push_back(mult.back() * (op.count < 0 ? 1e300 : static_cast<double>(op.count)));
        break;
      case Op::Kind::kLoopEnd: mult.pop_back(); break;
      case Op::Kind::kIo: w.io += mult.back() * mean_s(op.dur, tick); break;
      case Op::Kind::kSend:  // a system call; how long a recv waits depends on its peer
      case Op::Kind::kRecv:
      case Op::Kind::kEnd: break;
      default: w.cpu += mult.back() * mean_s(op.dur, tick); break;
    }
  }
  return w;
}

}  // namespace

Time starvation_threshold(const Scenario& sc) { return max(Time::ms(100), sc.interpreter.switch_interval * 10); }

Analysis analyse(const Outcome& o, bool alone) {
  const Scenario& sc = o.scenario;
  const RunResult& r = o.run;
  Analysis a;
  a.starvation_threshold = starvation_threshold(sc);
  a.threads.resize(r.threads.size());
  std::map<const std::vector<Op>*, std::pair<Time, uint64_t>> alone_runs;  // per shared program

  double sum = 0, sum_sq = 0;
  int cpu_bound = 0;
  double longest_own = 0;  // the longest non-daemon thread's own work: start + CPU + I/O
  double cpu_work = 0;     // CPU work of the non-daemon threads
  double total_own = 0;    // CPU and I/O work of the non-daemon threads
  for (size_t i = 0; i < r.threads.size(); ++i) {
    const ThreadSpec& spec = sc.threads[i];
    const ThreadResult& t = r.threads[i];
    ThreadAnalysis& ta = a.threads[i];
    const auto& st = t.m.in_state;
    auto in = [&](ThreadState s) { return st[static_cast<size_t>(s)]; };
    ta.releases = releases_gil(*spec.program);
    ta.cpu_bound = !ta.releases;
    const Time wanting = in(ThreadState::kRunningGil) + in(ThreadState::kRunningNative) +
                         in(ThreadState::kWaitingGil) + in(ThreadState::kRunnable);
    ta.wait_share = wanting > Time::zero() ? secs(in(ThreadState::kWaitingGil)) / secs(wanting) : 0.0;
    ta.starved = t.m.longest_wait > a.starvation_threshold;
    const Time span = (t.finished ? t.finish : r.end) - spec.start;
    if (t.m.io_ops > 0 && span > Time::zero()) ta.io_ops_per_s = static_cast<double>(t.m.io_ops) / secs(span);
    if (ta.cpu_bound) {
      const double x = secs(t.m.gil_held);
      sum += x;
      sum_sq += x * x;
      ++cpu_bound;
    }
    if (!spec.daemon) {
      const Work w = program_work(*spec.program, sc.machine.costs.tick);
      longest_own = std::max(longest_own, secs(spec.start) + w.cpu + w.io);
      cpu_work += w.cpu;
      total_own += w.cpu + w.io;
    }
    if (alone && ta.releases && !spec.daemon) {
      auto it = alone_runs.find(spec.program.get());
      if (it == alone_runs.end()) {
        Scenario solo = sc;
        solo.threads = {spec};
        solo.threads[0].start = Time::zero();
        solo.threads[0].process = 0;
        solo.threads[0].spawn = Time::zero();
        solo.interpreters = 1;
        for (const ThreadSpec& peer : sc.threads)  // its echo server, say: still there
          if (peer.peer()) {
            solo.threads.push_back(peer);
            solo.interpreters = sc.interpreters;
          }
        const RunResult rr = simulate(solo);
        it = alone_runs.emplace(spec.program.get(), std::make_pair(rr.complete ? rr.end : Time::zero(), rr.threads[0].m.io_ops)).first;
      }
      const auto [solo_time, solo_ops] = it->second;
      if (solo_time > Time::zero()) {
        ta.alone = solo_time;
        if (solo_ops > 0) ta.alone_io_ops_per_s = static_cast<double>(solo_ops) / secs(solo_time);
        if (t.finished) ta.slowdown = secs(t.finish - spec.start) / secs(solo_time);
      }
    }
  }
  if (cpu_bound >= 2 && sum_sq > 0) a.jain = sum * sum / (cpu_bound * sum_sq);

  // The ideal: every non-daemon thread's own work (CPU and I/O) in parallel, limited by the
  // cores for the CPU part: total work over that time. A ratio of work, so the OS costs that the
  // serial run also pays cancel out.
  if (o.speedup && r.end > Time::zero() && total_own > 0 && total_own < 1e200) {
    const double ideal = std::max(longest_own, cpu_work / sc.machine.cores);
    if (ideal > 0) a.ideal_speedup = total_own / ideal;
    Time waiting_gil, waiting_core, wanting;
    for (size_t i = 0; i < r.threads.size(); ++i) {
      if (sc.threads[i].daemon) continue;
      const auto& st = r.threads[i].m.in_state;
      waiting_gil += st[static_cast<size_t>(ThreadState::kWaitingGil)];
      waiting_core += st[static_cast<size_t>(ThreadState::kRunnable)];
      wanting += st[static_cast<size_t>(ThreadState::kRunningGil)] + st[static_cast<size_t>(ThreadState::kRunningNative)] +
                 st[static_cast<size_t>(ThreadState::kWaitingGil)] + st[static_cast<size_t>(ThreadState::kRunnable)];
    }
    const double gil_share = wanting > Time::zero() ? secs(waiting_gil) / secs(wanting) : 0.0;
    const double core_share = wanting > Time::zero() ? secs(waiting_core) / secs(wanting) : 0.0;
    char buf[256];
    if (a.ideal_speedup && *o.speedup >= 0.95 * *a.ideal_speedup) {
      if (longest_own >= cpu_work / sc.machine.cores) {
        a.bound = "io";
        std::snprintf(buf, sizeof buf, "at the ideal: the longest thread's own work (CPU and I/O) sets the time");
      } else {
        a.bound = "cores";
        std::snprintf(buf, sizeof buf, "at the ideal: the CPU work fills the cores");
      }
    } else if (gil_share >= core_share) {
      a.bound = "gil";
      std::snprintf(buf, sizeof buf, "GIL-bound: the threads spent %.0f%% of their runnable time waiting for the GIL", 100 * gil_share);
    } else {
      double busy_s = 0;
      for (const auto& core : r.cores) busy_s += secs(core.busy);
      const double busy = busy_s / (secs(r.end) * sc.machine.cores);
      if (busy >= 0.8) {
        a.bound = "cores";
        std::snprintf(buf, sizeof buf, "core-bound: the threads spent %.0f%% of their runnable time waiting for a core (cores %.0f%% busy)",
                      100 * core_share, 100 * busy);
      } else {
        a.bound = "os";
        std::snprintf(buf, sizeof buf,
                      "OS-bound: the threads spent %.0f%% of their runnable time being woken or scheduled while the cores were %.0f%% idle "
                      "(wake-up latency, context switches)",
                      100 * core_share, 100 * (1 - busy));
      }
    }
    a.bound_why = buf;
  }
  return a;
}

}  // namespace gilsim
