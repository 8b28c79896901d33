#pragma once
/// The sweep's output file: records appended one complete line per write(), synced to disk at
/// most once a second, and read back by --resume (a truncated last line is dropped).

#include <chrono>
#include <map>
#include <string>

#include "tools/gilsim/sweep_plan.h"

namespace gilsim::sweep {

/// The finished runs found in an existing output file.
struct Existing {
  std::map<size_t, std::string> lines;  ///< run index -> its line (with '\n')
  size_t valid_bytes = 0;               ///< up to the end of the last complete line
  bool in_order = true;                 ///< the lines are runs first, first+1, ... exactly
};

/// Reads `file` (missing: empty) as JSON Lines records of `plan` within runs [first, last).
/// Throws InputError on a complete line that is not a record of this sweep.
Existing read_existing(const std::string& file, const Plan& plan, size_t first, size_t last);

/// Appends complete lines to a file (or stdout) with one write() each.
class Sink {
public:
  /// "-" or empty: stdout. Otherwise creates `path` (an error when it exists), or with `resume`
  /// opens it and cuts it to its first `keep` bytes (dropping a truncated last line).
  Sink(const std::string& path, bool resume, size_t keep);
  ~Sink();
  Sink(const Sink&) = delete;
  Sink& operator=(const Sink&) = delete;

  void write_line(const std::string& line);
  /// Flushes to disk (fdatasync) for a file.
  void sync();

private:
  int fd_ = 1;
  bool own_ = false;
  std::string path_;
  std::chrono::steady_clock::time_point last_sync_;
};

}  // namespace gilsim::sweep
