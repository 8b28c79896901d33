#include "models/trace.h"

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace gilsim {

namespace {

constexpr size_t kChunk = size_t{1} << 20;  ///< bytes buffered before a write
constexpr size_t kFooterRoom = 256;         ///< the cut marker and the closing brackets
constexpr const char* kPidThreads = "1";
constexpr const char* kPidCores = "2";
constexpr const char* kPidGil = "3";

/// Each thread state's slice name, as JSON (indexed by ThreadState).
constexpr std::string_view kStateNames[kThreadStateCount] = {
    "\"not started\"", "\"holds GIL\"", "\"C code (no GIL)\"", "\"waits for GIL\"",
    "\"runnable (no core)\"", "\"I/O\"", "\"finished\"",
};

std::string_view event_name(GilEvent e) {
  switch (e) {
    case GilEvent::kDropRequest: return "drop request";
    case GilEvent::kForcedSwitch: return "forced switch";
    case GilEvent::kFailedAcquire: return "failed acquisition";
    case GilEvent::kCheck: return "check with waiter";
  }
  return "?";
}

std::string json_string(const std::string& s) {
  return nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

int format_us(int64_t ns, char* out) {
  static constexpr char kPairs[] =
      "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
      "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
      "8081828384858687888990919293949596979899";
  uint64_t whole = static_cast<uint64_t>(ns) / 1000;
  const unsigned frac = static_cast<unsigned>(static_cast<uint64_t>(ns) % 1000);
  int digits = 1;
  for (uint64_t v = whole; v >= 10; v /= 10) ++digits;
  const int len = digits + 4;
  char* p = out + digits;
  while (whole >= 100) {
    const unsigned d = static_cast<unsigned>(whole % 100) * 2;
    whole /= 100;
    *--p = kPairs[d + 1];
    *--p = kPairs[d];
  }
  if (whole >= 10) {
    *--p = kPairs[whole * 2 + 1];
    *--p = kPairs[whole * 2];
  } else {
    *--p = static_cast<char>('0' + whole);
  }
  out[digits] = '.';
  out[digits + 1] = static_cast<char>('0' + frac / 100);
  out[digits + 2] = kPairs[(frac % 100) * 2];
  out[digits + 3] = kPairs[(frac % 100) * 2 + 1];
  return len;
}

std::string format_us(int64_t ns) {
  char b[32];
  return std::string(b, static_cast<size_t>(format_us(ns, b)));
}

TraceWriter::TraceWriter(std::FILE* out, const Scenario& sc, const TraceOptions& o)
    : TrackObserver(static_cast<int>(sc.threads.size()), sc.machine.cores, o.window), out_(out), limit_(o.byte_limit) {
  size_t longest = 0;
  for (const auto& t : sc.threads) {
    names_.push_back(json_string(t.name));
    longest = std::max(longest, names_.back().size());
  }
  room_ = 256 + longest;
  for (Track t : {Track::kThread, Track::kCore, Track::kGil}) prefix(t, 0);
  prefix(Track::kThread, static_cast<int>(sc.threads.size()));
  prefix(Track::kCore, sc.machine.cores);
  buf_.resize(kChunk + room_ + 4096);
  write_metadata(sc);
}

void TraceWriter::write_metadata(const Scenario& sc) {
  nlohmann::json head = {{"displayTimeUnit", "ns"},
                         {"otherData", {{"tool", "gilsim"}, {"scenario", sc.name}, {"policy", sc.interpreter.gil},
                                        {"seed", sc.seed}, {"cores", sc.machine.cores}}}};
  std::string h = head.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  h.pop_back();  // the closing brace: the events follow
  put(h);
  put(",\"traceEvents\":[\n");
  const std::string title = sc.name + " (" + sc.interpreter.gil + ")";
  auto meta = [&](const char* pid, int tid, const char* what, const std::string& value_json, bool first = false) {
    if (used_ + room_ + value_json.size() > buf_.size()) drain();
    if (!first) put(",\n");
    put("{\"ph\":\"M\",\"pid\":");
    put(pid);
    put(",\"tid\":");
    put_int(tid);
    put(",\"name\":\"");
    put(what);
    put("\",\"args\":{");
    put(std::string_view(what).ends_with("sort_index") ? "\"sort_index\":" : "\"name\":");
    put(value_json);
    put("}}");
  };
  meta(kPidThreads, 0, "process_name", json_string(title + ": threads"), true);
  meta(kPidThreads, 0, "process_sort_index", "1");
  meta(kPidCores, 0, "process_name", json_string(title + ": cores"));
  meta(kPidCores, 0, "process_sort_index", "2");
  meta(kPidGil, 0, "process_name", json_string(title + ": GIL"));
  meta(kPidGil, 0, "process_sort_index", "3");
  meta(kPidGil, 0, "thread_name", "\"GIL holder\"");
  for (int i = 1; i < sc.interpreters; ++i) {  // each process of the `processes` block: its own GIL
    std::string process = "process " + std::to_string(i);
    for (const ThreadSpec& t : sc.threads)
      if (t.process == i) {
        process = t.name.substr(0, t.name.find('/'));
        break;
      }
    meta(kPidGil, i, "thread_name", json_string("GIL holder: " + process));
  }
  for (size_t t = 0; t < names_.size(); ++t) {
    meta(kPidThreads, static_cast<int>(t), "thread_name", names_[t]);
    meta(kPidThreads, static_cast<int>(t), "thread_sort_index", std::to_string(t));
  }
  for (int c = 0; c < sc.machine.cores; ++c) {
    meta(kPidCores, c, "thread_name", "\"core " + std::to_string(c) + "\"");
    meta(kPidCores, c, "thread_sort_index", std::to_string(c));
  }
}

bool TraceWriter::begin(Time) {
  if (cut_) return false;
  if (used_ >= kChunk) drain();
  event_start_ = used_;
  put(",\n");
  return true;
}

void TraceWriter::end(Time t) {
  if (written_ + used_ + kFooterRoom <= limit_) return;
  used_ = event_start_;
  cut_ = true;
  cut_at_ = t;
}

const std::string& TraceWriter::prefix(Track track, int index) {
  std::vector<std::string>& v = prefixes_[static_cast<size_t>(track)];
  if (index >= static_cast<int>(v.size())) {
    const char* pid = track == Track::kThread ? kPidThreads : track == Track::kCore ? kPidCores : kPidGil;
    for (int i = static_cast<int>(v.size()); i <= index; ++i)
      v.push_back(std::string("{\"ph\":\"X\",\"pid\":") + pid + ",\"tid\":" + std::to_string(i) + ",\"ts\":");
  }
  return v[static_cast<size_t>(index)];
}

void TraceWriter::slice(Track track, int index, int value, Time from, Time to) {
  if (!begin(to)) return;
  put(prefix(track, index));
  put_us(from.count());
  put(",\"dur\":");
  put_us((to - from).count());
  put(",\"name\":");
  put(track == Track::kThread ? kStateNames[value] : std::string_view(names_[static_cast<size_t>(value)]));
  put("}");
  end(to);
}

void TraceWriter::mark(Time t, GilEvent e, int thread) {
  // py2's contended checks come every 100 ticks: the GIL track shows them as hand-offs already.
  if (e == GilEvent::kCheck || !begin(t)) return;
  put("{\"ph\":\"i\",\"s\":\"t\",\"pid\":");
  put(thread >= 0 ? kPidThreads : kPidGil);
  put(",\"tid\":");
  put_int(thread >= 0 ? thread : 0);
  put(",\"ts\":");
  put_us(t.count());
  put(",\"name\":\"");
  put(event_name(e));
  put("\"}");
  end(t);
}

// A wake-up, as an instant on the woken thread's track: the core it is put on and the thread
// whose call woke it (-1: a timer, an I/O completion, its start). Linux's sched_waking
// (target_cpu), for comparing gilsim's placements with a `perf sched` recording.
void TraceWriter::on_wake(Time now, int thread, int waker, int core) {
  if (!window().contains(now) || !begin(now)) return;
  put("{\"ph\":\"i\",\"s\":\"t\",\"pid\":");
  put(kPidThreads);
  put(",\"tid\":");
  put_int(thread);
  put(",\"ts\":");
  put_us(now.count());
  put(",\"name\":\"wake-up\",\"args\":{\"core\":");
  put_int(core);
  put(",\"waker\":");
  put_int(waker);
  put("}}");
  end(now);
}

void TraceWriter::counter(Counter c, Time t, int value) {
  if (!begin(t)) return;
  put("{\"ph\":\"C\",\"pid\":");
  put(kPidGil);
  put(",\"tid\":0,\"ts\":");
  put_us(t.count());
  put(c == Counter::kWaitingGil ? ",\"name\":\"waiting for GIL\",\"args\":{\"threads\":"
                                : ",\"name\":\"runnable without a core\",\"args\":{\"threads\":");
  put_int(value);
  put("}}");
  end(t);
}

void TraceWriter::finish(Time end_time) {
  close_all(end_time);
  if (cut_) {
    put(",\n{\"ph\":\"i\",\"s\":\"g\",\"pid\":");
    put(kPidGil);
    put(",\"tid\":0,\"ts\":");
    put_us(cut_at_.count());
    put(",\"name\":\"trace cut here: size limit reached\"}");
  }
  put("\n]}\n");
  drain();
  if (std::fflush(out_) != 0) failed_ = true;
  if (failed_ || std::ferror(out_)) throw std::runtime_error(std::string("cannot write the trace: ") + std::strerror(errno));
}

void TraceWriter::put_long(std::string_view s) {
  drain();
  if (s.size() > buf_.size()) {
    if (std::fwrite(s.data(), 1, s.size(), out_) != s.size()) failed_ = true;
    written_ += s.size();
    return;
  }
  std::memcpy(buf_.data() + used_, s.data(), s.size());
  used_ += s.size();
}

void TraceWriter::put_int(int64_t v) {
  if (v < 0) {
    put("-");
    v = -v;
  }
  char rev[24];
  int n = 0;
  do {
    rev[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  char* p = buf_.data() + used_;
  for (int i = 0; i < n; ++i) p[i] = rev[n - 1 - i];
  used_ += static_cast<size_t>(n);
}

void TraceWriter::put_us(int64_t ns) { used_ += static_cast<size_t>(format_us(ns, buf_.data() + used_)); }

void TraceWriter::drain() {
  if (used_ == 0) return;
  if (std::fwrite(buf_.data(), 1, used_, out_) != used_) failed_ = true;
  written_ += used_;
  used_ = 0;
  event_start_ = 0;
}

}  // namespace gilsim
