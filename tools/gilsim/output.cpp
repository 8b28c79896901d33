#include "tools/gilsim/output.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <unistd.h>

namespace gilsim {

void write_output(const std::string& path, const std::string& text) {
  if (path.empty() || path == "-") {
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
    return;
  }
  AtomicFile f(path);
  if (std::fwrite(text.data(), 1, text.size(), f.get()) != text.size())
    throw std::runtime_error(path + ": cannot write: " + std::strerror(errno));
  f.commit();
}

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)), tmp_(path_ + ".tmp." + std::to_string(::getpid())) {
  f_ = std::fopen(tmp_.c_str(), "wb");
  if (!f_) throw std::runtime_error(path_ + ": cannot write: " + std::strerror(errno));
}

AtomicFile::~AtomicFile() {
  if (done_) return;
  if (f_) std::fclose(f_);
  std::remove(tmp_.c_str());
}

void AtomicFile::close() {
  if (!f_) return;
  // Flushed to the disk before the rename: after a crash the name holds the old or the new
  // file, never a torn one.
  const bool synced = std::fflush(f_) == 0 && ::fsync(::fileno(f_)) == 0;
  const bool ok = std::fclose(f_) == 0 && synced;
  f_ = nullptr;
  if (!ok) throw std::runtime_error(path_ + ": cannot write: " + std::strerror(errno));
}

void AtomicFile::commit() {
  close();
  if (std::rename(tmp_.c_str(), path_.c_str()) != 0) throw std::runtime_error(path_ + ": cannot write: " + std::strerror(errno));
  done_ = true;
}

}  // namespace gilsim
