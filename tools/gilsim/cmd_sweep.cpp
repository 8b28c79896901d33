/// gilsim sweep: run a scenario over a design of parameter values, in parallel, one record per
/// run in run order, resumable, shardable across machines.

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <exception>
#include <iostream>
#include <map>
#include <mutex>
#include <thread>
#include <unistd.h>

#include "models/analysis.h"
#include "models/gil_registry.h"
#include "models/report.h"
#include "models/simulation.h"
#include "tools/gilsim/cli.h"
#include "tools/gilsim/output.h"
#include "tools/gilsim/sweep_output.h"
#include "tools/gilsim/sweep_plan.h"

namespace gilsim::cli {

using nlohmann::json;
using nlohmann::ordered_json;
using namespace gilsim::sweep;

namespace {

/// Everything a worker needs to turn a run index into its output line.
class SweepRunner {
public:
  SweepRunner(const Plan& plan, json base, std::string file, bool csv)
      : plan_(plan), base_(std::move(base)), file_(std::move(file)), csv_(csv) {
    for (const auto& p : plan_.points)
      for (const auto& [path, v] : p.values)
        if (std::find(columns_.begin(), columns_.end(), path) == columns_.end()) columns_.push_back(path);
  }

  /// Loads the point's scenario with the run's seed. Throws InputError naming the point.
  Scenario scenario(size_t point, int replication) const {
    const Point& p = plan_.points[point];
    try {
      json doc = base_;
      for (const auto& [path, v] : p.values) apply_override(doc, Override{path, v.dump()}, file_);
      Scenario sc = load_scenario(doc, file_);
      find_policy(sc.interpreter.gil)->make(sc);  // the policy's own checks
      sc.seed = run_seed(sc.seed, p.key(), replication);
      return sc;
    } catch (const InputError& e) {
      throw InputError(e.file(), e.path(), std::string(e.what()) + " (sweep point " + plan_.point_id(point) + ": " + p.key() + ")");
    }
  }

  /// Runs one simulation; `limit` is set when it hit the event budget or the time horizon.
  std::string line(size_t run_index, bool& limit) const {
    const Run r = plan_.run(run_index);
    const Scenario sc = scenario(r.point, r.replication);
    const Outcome o = run_outcome(sc);
    limit = !o.run.complete;
    const Analysis a = analyse(o, !limit);
    if (csv_) return csv_rows(r, o, a);
    ordered_json rec;
    rec["point"] = plan_.point_id(r.point);
    rec["replication"] = r.replication;
    rec["values"] = plan_.points[r.point].values_json();
    if (limit) rec["limit"] = run_limit_message(o);
    const ordered_json rep = report_json(o, a);
    for (auto it = rep.begin(); it != rep.end(); ++it) rec[it.key()] = it.value();
    return rec.dump() + "\n";
  }

  std::string csv_header() const {
    std::string h = "point,replication";
    for (const auto& c : columns_) h.append(",").append(csv_field(c));
    return h.append(",").append(report_csv_header());
  }

  /// One line for --list: point id, replication, seed, values.
  std::string list_line(size_t run_index) const {
    const Run r = plan_.run(run_index);
    const Scenario sc = scenario(r.point, r.replication);
    return plan_.point_id(r.point) + " " + std::to_string(r.replication) + " " + std::to_string(sc.seed) + " " +
           plan_.points[r.point].values_json().dump() + "\n";
  }

private:
  static std::string csv_field(const std::string& s) {
    if (s.find_first_of(",\"\n") == std::string::npos) return s;
    std::string q(1, '"');
    for (char c : s) {
      q.push_back(c);
      if (c == '"') q.push_back('"');
    }
    q.push_back('"');
    return q;
  }
  std::string csv_rows(const Run& r, const Outcome& o, const Analysis& a) const {
    std::string prefix = plan_.point_id(r.point) + "," + std::to_string(r.replication);
    const Point& p = plan_.points[r.point];
    for (const auto& c : columns_) {
      std::string v;
      for (const auto& [path, val] : p.values)
        if (path == c) v = val.is_string() ? val.get<std::string>() : val.dump();
      prefix.append(",").append(csv_field(v));
    }
    const std::string rows = report_csv(o, a, false);
    std::string out;
    size_t pos = 0;
    while (pos < rows.size()) {
      const size_t nl = rows.find('\n', pos);
      out.append(prefix).append(",").append(rows, pos, nl - pos + 1);
      pos = nl + 1;
    }
    return out;
  }

  const Plan& plan_;
  json base_;
  std::string file_;
  bool csv_;
  std::vector<std::string> columns_;
};

/// "runs done/total, rate, time left" on stderr, redrawn at most 5 times a second.
class Progress {
public:
  Progress(bool enabled, size_t total) : enabled_(enabled), total_(total), start_(std::chrono::steady_clock::now()) {}
  void done(size_t n) {
    if (!enabled_) return;
    const auto now = std::chrono::steady_clock::now();
    if (n < total_ && now - last_ < std::chrono::milliseconds(200)) return;
    last_ = now;
    const double secs = std::chrono::duration<double>(now - start_).count();
    const double rate = secs > 0 ? static_cast<double>(n) / secs : 0.0;
    char eta[32] = "?";
    if (rate > 0) std::snprintf(eta, sizeof eta, "%.0fs", static_cast<double>(total_ - n) / rate);
    std::fprintf(stderr, "\rsweep: %zu/%zu runs, %.1f runs/s, %s left   ", n, total_, rate, eta);
    if (n == total_) std::fputc('\n', stderr);
    std::fflush(stderr);
  }

private:
  bool enabled_;
  size_t total_;
  std::chrono::steady_clock::time_point start_, last_{};
};

/// Runs `pending` (run indices, ascending) on `jobs` threads and writes their lines in that
/// order through `sink`. Returns how many runs hit a limit.
size_t run_all(const SweepRunner& runner, const std::vector<size_t>& pending, unsigned jobs, Sink& sink, Progress& progress) {
  std::atomic<size_t> next{0};
  std::mutex mu;
  std::map<size_t, std::string> ready;  // slot -> line, waiting for the slots before it
  size_t written = 0, limits = 0;
  std::exception_ptr error;
  std::atomic<bool> stop{false};
  auto work = [&] {
    for (;;) {
      const size_t slot = next.fetch_add(1);
      if (slot >= pending.size() || stop) return;
      try {
        bool limit = false;
        std::string line = runner.line(pending[slot], limit);
        std::lock_guard<std::mutex> lock(mu);
        limits += limit ? 1 : 0;
        ready.emplace(slot, std::move(line));
        for (auto it = ready.begin(); it != ready.end() && it->first == written; it = ready.erase(it)) {
          sink.write_line(it->second);
          ++written;
        }
        progress.done(written);
      } catch (...) {
        std::lock_guard<std::mutex> lock(mu);
        if (!error) error = std::current_exception();
        stop = true;
        return;
      }
    }
  };
  std::vector<std::thread> threads;
  for (unsigned j = 1; j < jobs; ++j) threads.emplace_back(work);
  work();
  for (auto& t : threads) t.join();
  if (error) std::rethrow_exception(error);
  sink.sync();
  return limits;
}

}  // namespace

int cmd_sweep(const std::vector<std::string>& args) {
  ScenarioOptions so;
  std::vector<std::string> varies;
  std::string scenario, sweep_file, output, format = "jsonl", shard;
  int replications = 0, jobs = 0;
  po::options_description d("gilsim sweep SCENARIO (--vary PATH=VALUES... | --sweep FILE) [options]");
  d.add_options()("help,h", "this help")
      ("vary", po::value(&varies)->composing(), "PATH=V1,V2,... or PATH=a..b[:+k|:xk]: a varied parameter (repeatable; cartesian product)")
      ("sweep", po::value(&sweep_file), "FILE.json: a sweep design {\"vary\": {...}, \"points\": [...], \"replications\": n}")
      ("replications", po::value(&replications), "runs per point, each with its own seed (default 1)")
      ("jobs,j", po::value(&jobs), "runs in parallel (default: all cores)")
      ("shard", po::value(&shard), "K/N: run only the K-th of N contiguous blocks of runs")
      ("list", "print the runs (point id, replication, seed, values), run nothing")
      ("output,o", po::value(&output), "append records to FILE as runs finish (default stdout)")
      ("resume", "continue the sweep in --output FILE: run only the runs it lacks")
      ("format", po::value(&format), "jsonl (default: one JSON record per run) or csv (one row per thread)")
      ("quiet,q", "no progress line on stderr");
  so.add_to(d);
  po::variables_map vm;
  if (!parse_scenario_command(args, d, "sweep", scenario, vm)) return kExitOk;
  check_format(format, {"jsonl", "csv"});
  if (vm.count("jobs") && jobs < 1) throw UsageError("--jobs must be at least 1, got " + std::to_string(jobs));
  if (vm.count("replications") && (replications < 1 || replications > 1000000))
    throw UsageError("--replications must be between 1 and 1000000, got " + std::to_string(replications));
  const bool resume = vm.count("resume") > 0;
  if (resume && (output.empty() || output == "-")) throw UsageError("--resume needs --output FILE");
  if (resume && format != "jsonl") throw UsageError("--resume needs --format jsonl");

  std::vector<Axis> axes;
  std::vector<ordered_json> points;
  int file_reps = 0;
  if (!sweep_file.empty()) file_reps = read_sweep_file(sweep_file, axes, points);
  for (const auto& v : varies) axes.push_back(parse_vary(v));
  if (axes.empty() && points.empty()) throw UsageError("sweep needs --vary PATH=VALUES or --sweep FILE");
  const Plan plan = make_plan(points, axes, replications ? replications : (file_reps ? file_reps : 1));
  size_t first = 0, last = plan.runs();
  if (!shard.empty()) {
    const auto [k, n] = parse_shard(shard);
    std::tie(first, last) = shard_range(plan.runs(), k, n);
  }

  json base = read_json_file(scenario);
  for (const auto& o : so.overrides()) apply_override(base, o, scenario);
  const SweepRunner runner(plan, std::move(base), scenario, format == "csv");
  for (size_t p = 0; p < plan.points.size(); ++p) runner.scenario(p, 0);  // every point loads: fail before running

  if (vm.count("list")) {
    for (size_t i = first; i < last; ++i) std::fputs(runner.list_line(i).c_str(), stdout);
    return kExitOk;
  }

  Existing existing;
  if (resume) existing = read_existing(output, plan, first, last);
  std::vector<size_t> pending;
  for (size_t i = first; i < last; ++i)
    if (!existing.lines.count(i)) pending.push_back(i);
  Sink sink(output, resume, existing.valid_bytes);
  if (format == "csv") sink.write_line(runner.csv_header());

  unsigned n_jobs = jobs > 0 ? static_cast<unsigned>(jobs) : std::max(1u, std::thread::hardware_concurrency());
  n_jobs = static_cast<unsigned>(std::min<size_t>(n_jobs, std::max<size_t>(pending.size(), 1)));
  Progress progress(!vm.count("quiet") && ::isatty(2), pending.size());
  const size_t limits = run_all(runner, pending, n_jobs, sink, progress);

  if (!existing.in_order) {
    // The file held runs out of order (shards concatenated in any order, say): rewrite it sorted.
    const Existing now = read_existing(output, plan, first, last);
    std::string text;
    for (const auto& [run, line] : now.lines) text += line;
    write_output(output, text);
  }
  if (limits > 0) {
    std::fprintf(stderr, "gilsim: error: %s: %zu of %zu runs hit a limit (their records carry \"limit\" with the reason)\n",
                 scenario.c_str(), limits, pending.size());
    return kExitLimit;
  }
  return kExitOk;
}

}  // namespace gilsim::cli
