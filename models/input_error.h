#pragma once
/// The one exception type for bad input: it carries the file and the JSON path of the fault.

#include <stdexcept>
#include <string>

namespace gilsim {

/// Thrown for malformed scenarios, profiles and command-line values. `main` prints
/// `gilsim: error: <file>: <path>: <message>` and exits with status 2.
class InputError : public std::runtime_error {
public:
  InputError(std::string file, std::string path, const std::string& message)
      : std::runtime_error(message), file_(std::move(file)), path_(std::move(path)) {}
  const std::string& file() const { return file_; }
  const std::string& path() const { return path_; }
  /// "<file>: <path>: <message>", leaving out empty parts.
  std::string line() const {
    std::string s;
    if (!file_.empty()) s += file_ + ": ";
    if (!path_.empty()) s += path_ + ": ";
    return s + what();
  }

private:
  std::string file_;
  std::string path_;
};

}  // namespace gilsim
