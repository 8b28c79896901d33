#pragma once
/// Writing results: to stdout, or to a file through a temporary name renamed when complete, so a
/// failed run never leaves a half-written file.

#include <cstdio>
#include <string>

namespace gilsim {

/// Writes `text` to `path` atomically ("-" or empty: stdout). Throws std::runtime_error.
void write_output(const std::string& path, const std::string& text);

/// A file written under a temporary name and renamed to its path by commit(); removed when
/// destroyed uncommitted (a failed run leaves nothing).
class AtomicFile {
public:
  /// Opens the temporary file. Throws std::runtime_error.
  explicit AtomicFile(std::string path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  std::FILE* get() { return f_; }
  const std::string& temp_path() const { return tmp_; }
  /// Closes the file and renames it into place. Throws std::runtime_error.
  void commit();
  /// Closes the file (to let another program write the temporary path), keeps it uncommitted.
  void close();

private:
  std::string path_;
  std::string tmp_;
  std::FILE* f_ = nullptr;
  bool done_ = false;
};

}  // namespace gilsim
