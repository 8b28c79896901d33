#include "tools/gilsim/sweep_output.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <unistd.h>

#include "models/input_error.h"

namespace gilsim::sweep {

using nlohmann::json;

namespace {

/// The run index of a record line, or npos when it is not one of `plan`'s records.
size_t run_of(const std::string& line, const Plan& plan) {
  json r;
  try {
    r = json::parse(line);
  } catch (const json::exception&) {
    return std::string::npos;
  }
  if (!r.is_object() || !r.contains("point") || !r["point"].is_string() || !r.contains("replication") ||
      !r["replication"].is_number_integer() || !r.contains("values"))
    return std::string::npos;
  const std::string id = r["point"].get<std::string>();
  size_t p = 0;
  try {
    p = std::stoul(id);
  } catch (const std::exception&) {
    return std::string::npos;
  }
  const int64_t rep = r["replication"].get<int64_t>();
  if (p >= plan.points.size() || plan.point_id(p) != id || rep < 0 || rep >= plan.replications) return std::string::npos;
  if (json::parse(plan.points[p].values_json().dump()) != r["values"]) return std::string::npos;
  return p * static_cast<size_t>(plan.replications) + static_cast<size_t>(rep);
}

}  // namespace

Existing read_existing(const std::string& file, const Plan& plan, size_t first, size_t last) {
  Existing ex;
  std::ifstream in(file, std::ios::binary);
  if (!in) return ex;
  std::ostringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  size_t pos = 0, line_no = 0, expect = first;
  while (pos < text.size()) {
    const size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) break;  // a truncated last line: dropped
    ++line_no;
    const std::string line = text.substr(pos, nl - pos);
    const size_t run = run_of(line, plan);
    if (run == std::string::npos || run < first || run >= last)
      throw InputError(file, "line " + std::to_string(line_no),
                       "not a record of this sweep (or of this shard); --resume needs the same scenario, --vary, "
                       "sweep file, --replications and --shard");
    if (run != expect || ex.lines.count(run)) ex.in_order = false;
    ex.lines.emplace(run, line + "\n");
    ++expect;
    pos = nl + 1;
    ex.valid_bytes = pos;
  }
  return ex;
}

Sink::Sink(const std::string& path, bool resume, size_t keep) : path_(path), last_sync_(std::chrono::steady_clock::now()) {
  if (path.empty() || path == "-") return;
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (resume ? 0 : O_EXCL), 0666);
  if (fd_ < 0) {
    if (errno == EEXIST)
      throw std::runtime_error(path + ": the file exists; add --resume to continue that sweep, or remove the file");
    throw std::runtime_error(path + ": cannot write: " + std::strerror(errno));
  }
  own_ = true;
  if (resume && ::ftruncate(fd_, static_cast<off_t>(keep)) != 0)
    throw std::runtime_error(path + ": cannot truncate: " + std::strerror(errno));
}

Sink::~Sink() {
  if (own_) {
    ::fdatasync(fd_);
    ::close(fd_);
  }
}

void Sink::write_line(const std::string& line) {
  size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = ::write(fd_, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw std::runtime_error((own_ ? path_ : std::string("stdout")) + ": cannot write: " + std::strerror(errno));
    done += static_cast<size_t>(n);
  }
  if (own_ && std::chrono::steady_clock::now() - last_sync_ >= std::chrono::seconds(1)) sync();
}

void Sink::sync() {
  if (!own_) return;
  ::fdatasync(fd_);
  last_sync_ = std::chrono::steady_clock::now();
}

}  // namespace gilsim::sweep
