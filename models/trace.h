#pragma once
/// A Chrome / Perfetto trace-event file of a run (the JSON object form), streamed as the run goes:
/// a track per thread (its states), per core (the thread it runs) and per GIL (the holder),
/// counters of GIL waiters and runnable threads, and instant markers for GIL events.

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "models/scenario.h"
#include "models/tracks.h"

namespace gilsim {

/// Default size limit of a trace file: 256 MiB.
inline constexpr uint64_t kDefaultTraceLimit = uint64_t{256} << 20;

struct TraceOptions {
  /// The part of the run to write. Default: all of it.
  Window window;
  /// Largest file to write; past it the trace ends early (still valid JSON). Default: 256 MiB.
  uint64_t byte_limit = kDefaultTraceLimit;
};

/// Writes `ns` nanoseconds as exact decimal microseconds ("1234.567") to `out` (at least 24
/// chars); returns the length. `ns` must not be negative.
int format_us(int64_t ns, char* out);
std::string format_us(int64_t ns);

class TraceWriter final : public TrackObserver {
public:
  /// Writes to `out` (not owned; written in chunks, never seeked) for scenario `sc`.
  TraceWriter(std::FILE* out, const Scenario& sc, const TraceOptions& o);
  /// Closes the open intervals at `end`, ends the JSON and flushes. Throws std::runtime_error
  /// when the file could not be written.
  void finish(Time end);

  /// The trace reached its byte limit and stops at cut_at().
  bool cut() const { return cut_; }
  Time cut_at() const { return cut_at_; }
  uint64_t bytes() const { return written_ + used_; }

  void on_wake(Time now, int thread, int waker, int core) override;

private:
  void slice(Track track, int index, int value, Time from, Time to) override;
  void mark(Time t, GilEvent e, int thread) override;
  void counter(Counter c, Time t, int value) override;

  /// Starts an event (",\n" and room for it); false once the trace is cut.
  bool begin(Time t);
  /// Ends an event: keeps it if the file stays within its limit, else cuts before it.
  void end(Time t);
  void put(std::string_view s) {
    if (used_ + s.size() > buf_.size()) [[unlikely]] {
      put_long(s);
      return;
    }
    std::memcpy(buf_.data() + used_, s.data(), s.size());
    used_ += s.size();
  }
  void put_long(std::string_view s);
  void put_int(int64_t v);
  void put_us(int64_t ns);
  void drain();
  /// The start of a slice event of a track, up to its "ts" value.
  const std::string& prefix(Track track, int index);
  void write_metadata(const Scenario& sc);

  std::FILE* out_;
  std::vector<char> buf_;
  size_t used_ = 0;
  size_t event_start_ = 0;
  size_t room_;        ///< the longest event we may write
  uint64_t written_ = 0;
  uint64_t limit_;
  bool cut_ = false;
  bool failed_ = false;
  Time cut_at_;
  std::vector<std::string> names_;  ///< each thread's name as a JSON string
  std::vector<std::string> prefixes_[3];
};

}  // namespace gilsim
