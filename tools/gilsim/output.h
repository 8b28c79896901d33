#pragma once
/// Writing results: to stdout, or to a file through a temporary name renamed when complete, so a
/// failed run never leaves a half-written file.

#include <string>

namespace gilsim {

/// Writes `text` to `path` atomically ("-" or empty: stdout). Throws std::runtime_error.
void write_output(const std::string& path, const std::string& text);

}  // namespace gilsim
