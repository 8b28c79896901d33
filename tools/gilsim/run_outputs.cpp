#include "tools/gilsim/run_outputs.h"

#include <cerrno>
#include <cstring>
#include <spawn.h>
#include <stdexcept>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "models/duration.h"
#include "models/report.h"

extern char** environ;

namespace gilsim::cli {

namespace {

constexpr const char* kConverter = "rsvg-convert";

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

bool on_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    const size_t colon = dirs.find(':', start);
    const std::string dir = dirs.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
    const std::string full = (dir.empty() ? "." : dir) + "/" + program;
    if (::access(full.c_str(), X_OK) == 0) return true;
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  return false;
}

/// Runs rsvg-convert from `svg` to `png`; throws std::runtime_error when it fails.
void convert_to_png(const std::string& svg, const std::string& png, const std::string& shown) {
  std::string a0 = kConverter, a1 = "--format=png", a2 = "--output=" + png, a3 = svg;
  char* argv[] = {a0.data(), a1.data(), a2.data(), a3.data(), nullptr};
  pid_t pid;
  if (::posix_spawnp(&pid, kConverter, nullptr, nullptr, argv, environ) != 0)
    throw std::runtime_error(shown + ": cannot run " + kConverter + ": " + std::strerror(errno));
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) throw std::runtime_error(shown + ": " + kConverter + " failed to write the PNG");
}

}  // namespace

Window parse_window(const std::string& option, const std::string& text) {
  const std::string form = option + " must be START:END with durations, e.g. 0:50ms or 1s:1.2s, got \"" + text + "\"";
  const size_t colon = text.find(':');
  if (colon == std::string::npos || text.find(':', colon + 1) != std::string::npos) throw UsageError(form);
  auto part = [&](const std::string& s, Time empty) {
    if (s.empty()) return empty;
    if (s == "0") return Time::zero();
    int64_t ns = 0;
    std::string why;
    if (!parse_duration_string(s, ns, why)) throw UsageError(option + " \"" + text + "\": " + why);
    return Time::ns(ns);
  };
  Window w{part(text.substr(0, colon), Time::zero()), part(text.substr(colon + 1), Time::max())};
  if (w.to <= w.from) throw UsageError(option + " \"" + text + "\": the end must come after the start");
  return w;
}

uint64_t parse_bytes(const std::string& option, const std::string& text) {
  size_t i = 0;
  uint64_t v = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9' && v < (uint64_t{1} << 50)) v = v * 10 + static_cast<unsigned>(text[i++] - '0');
  const std::string unit = text.substr(i);
  int shift = -1;
  if (unit.empty()) shift = 0;
  else if (unit == "KiB") shift = 10;
  else if (unit == "MiB") shift = 20;
  else if (unit == "GiB") shift = 30;
  if (i == 0 || shift < 0 || v >= (uint64_t{1} << 50))
    throw UsageError(option + " must be a size in bytes, optionally with KiB, MiB or GiB (e.g. 64MiB), got \"" + text + "\"");
  v <<= shift;
  if (v < 4096) throw UsageError(option + " must be at least 4096 bytes, got \"" + text + "\"");
  return v;
}

void RunOutputs::add_to(po::options_description& d) {
  d.add_options()
      ("trace", po::value(&trace_), "write a Chrome/Perfetto trace-event file (JSON) of the run to FILE")
      ("trace-window", po::value(&trace_window_), "START:END: only this part of the run in the trace (e.g. 0:50ms; END empty: to the end)")
      ("trace-limit", po::value(&trace_limit_), "largest trace file (bytes, or with KiB/MiB/GiB); past it the trace stops, with a warning. Default: 256MiB")
      ("timeline", po::value(&timeline_), "draw the run's threads over time to FILE.svg (or FILE.png, with rsvg-convert)")
      ("timeline-window", po::value(&timeline_window_), "START:END: the part of the run drawn. Default: 0:50ms (or the whole run when shorter)")
      ("timeline-width", po::value(&timeline_width_), "width of the picture in pixels (480 to 20000). Default: 1200");
}

void RunOutputs::check() {
  if (!trace_window_.empty()) trace_opt_.window = parse_window("--trace-window", trace_window_);
  if (!trace_limit_.empty()) trace_opt_.byte_limit = parse_bytes("--trace-limit", trace_limit_);
  if ((!trace_window_.empty() || !trace_limit_.empty()) && trace_.empty()) throw UsageError("--trace-window and --trace-limit need --trace FILE");
  if (!timeline_window_.empty()) timeline_win_ = parse_window("--timeline-window", timeline_window_);
  if (!timeline_window_.empty() && timeline_.empty()) throw UsageError("--timeline-window needs --timeline FILE");
  if (timeline_width_ < kTimelineMinWidth || timeline_width_ > kTimelineMaxWidth)
    throw UsageError("--timeline-width must be between " + std::to_string(kTimelineMinWidth) + " and " + std::to_string(kTimelineMaxWidth) +
                     " pixels, got " + std::to_string(timeline_width_));
  if (timeline_.empty()) return;
  png_ = ends_with(timeline_, ".png");
  if (!png_ && !ends_with(timeline_, ".svg")) throw UsageError("--timeline FILE must end in .svg or .png, got \"" + timeline_ + "\"");
  if (png_ && !on_path(kConverter))
    throw UsageError("--timeline " + timeline_ + ": a PNG needs " + kConverter + " (Debian package librsvg2-bin), which is not installed; write an .svg instead");
}

Observer* RunOutputs::start(const Scenario& sc) {
  if (!trace_.empty()) {
    trace_file_.emplace(trace_);
    trace_w_ = std::make_unique<TraceWriter>(trace_file_->get(), sc, trace_opt_);
  }
  if (!timeline_.empty()) timeline_w_ = std::make_unique<Timeline>(sc, timeline_win_, timeline_width_);
  if (trace_w_ && timeline_w_) {
    both_.add(trace_w_.get());
    both_.add(timeline_w_.get());
    return &both_;
  }
  if (trace_w_) return trace_w_.get();
  return timeline_w_.get();
}

void RunOutputs::finish(const Outcome& o) {
  if (trace_w_) {
    try {
      trace_w_->finish(o.run.end);
    } catch (const std::runtime_error& e) {
      throw std::runtime_error(trace_ + ": " + e.what());
    }
    trace_file_->commit();
    if (trace_w_->cut())
      std::fprintf(stderr, "gilsim: warning: %s: the trace reached its size limit (%s bytes) at simulated time %s and stops there; raise --trace-limit or narrow --trace-window\n",
                   trace_.c_str(), std::to_string(trace_opt_.byte_limit).c_str(), human_time(trace_w_->cut_at().count()).c_str());
  }
  if (!timeline_w_) return;
  timeline_w_->finish(o.run.end);
  const std::string svg = timeline_w_->svg();
  if (!png_) {
    write_output(timeline_, svg);
    return;
  }
  AtomicFile svg_file(timeline_ + ".svg");
  if (std::fwrite(svg.data(), 1, svg.size(), svg_file.get()) != svg.size()) throw std::runtime_error(timeline_ + ": cannot write: " + std::strerror(errno));
  svg_file.close();
  AtomicFile png(timeline_);
  png.close();
  convert_to_png(svg_file.temp_path(), png.temp_path(), timeline_);
  png.commit();
}

}  // namespace gilsim::cli
