#include "models/timeline.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "models/duration.h"
#include "models/report.h"

namespace gilsim {

namespace {

constexpr int kLeftMax = 170;  ///< most room for the thread names
constexpr int kRight = 30;
constexpr int kTop = 64;
constexpr int kRow = 20;
constexpr int kGap = 10;  ///< above each row: the marks

struct StateColour {
  const char* label;
  const char* fill;
};
/// Indexed by ThreadState; not-started and finished threads are left blank.
constexpr StateColour kColours[kThreadStateCount] = {
    {"", ""},
    {"holds the GIL", "#2ca02c"},
    {"C code without the GIL", "#74add1"},
    {"waits for the GIL", "#f4a6a6"},
    {"runnable, no core", "#f1c232"},
    {"in I/O", "#c8c8c8"},
    {"", ""},
};
constexpr const char* kFailedColour = "#b2182b";
constexpr const char* kDropColour = "#222222";

std::string xml(const std::string& s) {
  std::string o;
  for (unsigned char c : s) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      default: o += c < 0x20 ? '?' : static_cast<char>(c);
    }
  }
  return o;
}

std::string num(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.1f", v);
  return b;
}

/// A tick step of 1, 2 or 5 times a power of ten giving at most `most` ticks over `span`.
int64_t tick_step(int64_t span, int64_t most) {
  int64_t step = 1;
  for (;;) {
    for (int64_t m : {1, 2, 5})
      if (span / (step * m) <= most) return step * m;
    step *= 10;
  }
}

/// `ns` in `unit` (1, 1e3, 1e6 or 1e9 ns) with the decimals that `step` needs: exact.
std::string axis_label(int64_t ns, int64_t step, int64_t unit, const char* unit_name) {
  int decimals = 0;
  for (int64_t d = unit; d > 1 && step % d != 0; d /= 10) ++decimals;
  std::string s = std::to_string(ns / unit);
  if (decimals > 0) {
    std::string frac = std::to_string(ns % unit + unit).substr(1);  // zero-padded
    s += '.';
    s += frac.substr(0, static_cast<size_t>(decimals));
  }
  return s + " " + unit_name;
}

/// Turns one row's intervals into rectangles on a grid of pixel columns. A column takes the
/// colour of the state that covers most of it, except that a state too short to win any column
/// near it (an I/O thread's brief GIL hold in a convoy) takes the column for itself, so that
/// nothing the thread did vanishes from the picture.
class RowPainter {
public:
  RowPainter(int plot, double scale, int64_t from) : plot_(plot), scale_(scale), from_(from), share_(static_cast<size_t>(plot)) {}

  void add(int64_t a, int64_t b, int state) {
    const double x0 = static_cast<double>(a - from_) * scale_;
    const double x1 = std::min(static_cast<double>(b - from_) * scale_, static_cast<double>(plot_));
    for (int c = std::min(static_cast<int>(x0), plot_ - 1); c < plot_ && c < x1; ++c)
      share_[c][state] += std::min(x1, c + 1.0) - std::max(x0, static_cast<double>(c));
  }

  /// Runs of columns as {first, end, state}.
  std::vector<std::array<int, 3>> runs() const {
    std::vector<int> top(plot_, -1);
    for (int c = 0; c < plot_; ++c) {
      double total = 0;
      for (int s = 0; s < kThreadStateCount; ++s) {
        total += share_[c][s];
        if (share_[c][s] > 0 && (top[c] < 0 || share_[c][s] > share_[c][top[c]])) top[c] = s;
      }
      if (total < 0.5) top[c] = -1;
    }
    std::vector<std::array<int, 3>> out;
    for (int c = 0; c < plot_; ++c) {
      int paint = top[c];
      for (int s : kImportance) {
        const bool shown_near = (c > 0 && top[c - 1] == s) || top[c] == s || (c + 1 < plot_ && top[c + 1] == s);
        if (share_[c][s] > 0 && !shown_near) {
          paint = s;
          break;
        }
      }
      if (paint < 0) continue;
      if (!out.empty() && out.back()[1] == c && out.back()[2] == paint) out.back()[1] = c + 1;
      else out.push_back({c, c + 1, paint});
    }
    return out;
  }

private:
  /// Which hidden state takes a column first.
  static constexpr int kImportance[] = {static_cast<int>(ThreadState::kRunningGil), static_cast<int>(ThreadState::kRunningNative),
                                        static_cast<int>(ThreadState::kIo), static_cast<int>(ThreadState::kRunnable),
                                        static_cast<int>(ThreadState::kWaitingGil)};
  const int plot_;
  double scale_;
  int64_t from_;
  std::vector<std::array<double, kThreadStateCount>> share_;
};

}  // namespace

Timeline::Timeline(const Scenario& sc, Window w, int width)
    : TrackObserver(static_cast<int>(sc.threads.size()), sc.machine.cores, w),
      width_(width),
      rows_(std::min<size_t>(sc.threads.size(), kTimelineMaxRows)) {
  for (const auto& t : sc.threads) names_.push_back(t.name);
  title_ = (sc.name.empty() ? std::string("scenario") : sc.name) + " \xe2\x80\x94 policy " + sc.interpreter.gil + ", " +
           std::to_string(sc.machine.cores) + (sc.machine.cores == 1 ? " core, " : " cores, ") +
           std::to_string(sc.threads.size()) + (sc.threads.size() == 1 ? " thread" : " threads");
  subtitle_ = "seed " + std::to_string(sc.seed);
}

bool Timeline::full(Time t) {
  if (stored_ < kTimelineMaxIntervals) return false;
  if (!truncated_ || t < truncated_at_) truncated_at_ = t;
  truncated_ = true;
  return true;
}

void Timeline::slice(Track track, int index, int value, Time from, Time to) {
  if (track != Track::kThread || index >= static_cast<int>(rows_.size()) || full(from)) return;
  rows_[static_cast<size_t>(index)].push_back(Seg{from.count(), to.count(), static_cast<uint8_t>(value)});
  ++stored_;
}

void Timeline::mark(Time t, GilEvent e, int thread) {
  if (e != GilEvent::kFailedAcquire && e != GilEvent::kDropRequest) return;
  if (thread < 0 || thread >= static_cast<int>(rows_.size()) || full(t)) return;
  marks_.push_back(Mark{t.count(), e, thread});
  ++stored_;
}

void Timeline::finish(Time end) {
  close_all(end);
  end_ = end;
}

std::string Timeline::svg() const {
  const int width = width_;
  size_t longest = 0;
  for (size_t r = 0; r < rows_.size(); ++r) longest = std::max(longest, std::min<size_t>(names_[r].size(), 22));
  const int left = std::clamp(static_cast<int>(longest) * 7 + 24, 60, kLeftMax);
  const int plot = width - left - kRight;
  const int64_t from = window().from.count();
  int64_t to = std::min(window().to, end_).count();
  if (truncated_) to = std::min(to, truncated_at_.count());
  const bool empty = to <= from;
  const int64_t span = empty ? 1 : to - from;
  const double scale = static_cast<double>(plot) / static_cast<double>(span);
  const int rows = static_cast<int>(rows_.size());

  std::string b;
  b += "<text x=\"" + std::to_string(left) + "\" y=\"24\" font-size=\"16\" font-weight=\"bold\">" + xml(title_) + "</text>\n";
  std::string sub = "simulated time " + human_time(from) + " to " + human_time(to) + " of a " + human_time(end_.count()) +
                    " run; " + subtitle_;
  if (empty) sub = "the window starts at " + human_time(from) + ", after the run ended at " + human_time(end_.count());
  b += "<text x=\"" + std::to_string(left) + "\" y=\"44\" fill=\"#555\">" + xml(sub) + "</text>\n";
  std::string note;
  if (static_cast<int>(names_.size()) > rows)
    note = "Only the first " + std::to_string(rows) + " of " + std::to_string(names_.size()) + " threads are drawn (a trace, --trace, shows all).";
  if (truncated_)
    note += (note.empty() ? "" : " ") + std::string("Cut at ") + human_time(to) + ": more than " + std::to_string(kTimelineMaxIntervals) +
            " intervals; narrow --timeline-window.";
  if (!note.empty()) b += "<text x=\"" + std::to_string(left) + "\" y=\"62\" fill=\"#b2182b\">" + xml(note) + "</text>\n";
  const int top = note.empty() ? kTop : kTop + 18;
  const int axis_y = top + rows * (kRow + kGap) + 6;

  for (int r = 0; r < rows; ++r) {
    const int y = top + r * (kRow + kGap) + kGap;
    std::string name = names_[static_cast<size_t>(r)];
    if (name.size() > 22) name = name.substr(0, 21) + "\xe2\x80\xa6";
    b += "<text x=\"" + std::to_string(left - 8) + "\" y=\"" + std::to_string(y + 14) + "\" text-anchor=\"end\">" + xml(name) + "</text>\n";
    b += "<rect x=\"" + std::to_string(left) + "\" y=\"" + std::to_string(y) + "\" width=\"" + std::to_string(plot) +
         "\" height=\"" + std::to_string(kRow) + "\" fill=\"#f7f7f7\" stroke=\"#e0e0e0\"/>\n";
    if (empty) continue;
    RowPainter p(plot, scale, from);
    for (const Seg& s : rows_[static_cast<size_t>(r)])
      if (s.from < to) p.add(s.from, std::min(s.to, to), s.state);
    for (const auto& run : p.runs())
      b += "<rect x=\"" + std::to_string(left + run[0]) + "\" y=\"" + std::to_string(y) + "\" width=\"" +
           std::to_string(run[1] - run[0]) + "\" height=\"" + std::to_string(kRow) + "\" fill=\"" + kColours[run[2]].fill + "\"/>\n";
    // Marks in the gap above the row, one per pixel column.
    for (GilEvent e : {GilEvent::kFailedAcquire, GilEvent::kDropRequest}) {
      std::vector<bool> seen(plot, false);
      std::string d;
      for (const Mark& m : marks_) {
        if (m.thread != r || m.event != e || m.at >= to) continue;
        const int x = std::min(static_cast<int>(static_cast<double>(m.at - from) * scale), plot - 1);
        if (seen[static_cast<size_t>(x)]) continue;
        seen[static_cast<size_t>(x)] = true;
        d += 'M';
        if (e == GilEvent::kFailedAcquire) {
          d += num(left + x + 0.5);
          d += ' ';
          d += std::to_string(y - 7);
          d += "v7";
        } else {
          d += num(left + x - 3.5);
          d += ' ';
          d += std::to_string(y - 8);
          d += "h8l-4 7z";
        }
      }
      if (d.empty()) continue;
      b += e == GilEvent::kFailedAcquire ? "<path d=\"" + d + "\" stroke=\"" + kFailedColour + "\" stroke-width=\"1.2\" fill=\"none\"/>\n"
                                         : "<path d=\"" + d + "\" fill=\"" + kDropColour + "\"/>\n";
    }
  }

  // The time axis.
  b += "<line x1=\"" + std::to_string(left) + "\" y1=\"" + std::to_string(axis_y) + "\" x2=\"" + std::to_string(left + plot) +
       "\" y2=\"" + std::to_string(axis_y) + "\" stroke=\"#333\"/>\n";
  if (!empty) {
    const int64_t step = tick_step(span, std::max(2, plot / 75));
    const int64_t unit = to >= 1000000000 ? 1000000000 : to >= 1000000 ? 1000000 : to >= 1000 ? 1000 : 1;
    const char* unit_name = unit == 1000000000 ? "s" : unit == 1000000 ? "ms" : unit == 1000 ? "us" : "ns";
    for (int64_t t = (from + step - 1) / step * step; t <= to; t += step) {
      const std::string x = num(left + static_cast<double>(t - from) * scale);
      b += "<line x1=\"" + x + "\" y1=\"" + std::to_string(axis_y) + "\" x2=\"" + x + "\" y2=\"" + std::to_string(axis_y + 5) + "\" stroke=\"#333\"/>\n";
      b += "<text x=\"" + x + "\" y=\"" + std::to_string(axis_y + 18) + "\" text-anchor=\"middle\">" + axis_label(t, step, unit, unit_name) + "</text>\n";
    }
  }

  // The legend, wrapped to the width.
  struct Item {
    std::string symbol;
    std::string label;
  };
  std::vector<Item> items;
  for (int st = 1; st <= 5; ++st)
    items.push_back({std::string("<rect x=\"@X\" y=\"@Y\" width=\"14\" height=\"12\" fill=\"") + kColours[st].fill + "\"/>", kColours[st].label});
  items.push_back({std::string("<path d=\"M@X5 @Yv13\" stroke=\"") + kFailedColour + "\" stroke-width=\"1.5\"/>", "failed acquisition"});
  items.push_back({std::string("<path d=\"M@X3 @Yh8l-4 7z\" fill=\"") + kDropColour + "\"/>", "drop request (marked on the holder)"});
  int x = left;
  int ly = axis_y + 44;
  for (const Item& it : items) {
    const int w = 26 + static_cast<int>(it.label.size()) * 7;
    if (x > left && x + w > width - kRight) {
      x = left;
      ly += 20;
    }
    std::string sym = it.symbol;
    for (size_t at; (at = sym.find("@X")) != std::string::npos;) {
      const bool shifted = at + 2 < sym.size() && sym[at + 2] >= '0' && sym[at + 2] <= '9';
      sym.replace(at, shifted ? 3 : 2, std::to_string(x + (shifted ? sym[at + 2] - '0' : 0)));
    }
    for (size_t at; (at = sym.find("@Y")) != std::string::npos;) sym.replace(at, 2, std::to_string(ly - 10));
    b += sym + "\n<text x=\"" + std::to_string(x + 19) + "\" y=\"" + std::to_string(ly) + "\">" + it.label + "</text>\n";
    x += w;
  }
  const int height = ly + 16;
  std::string o;
  o += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  o += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(width) + "\" height=\"" +
       std::to_string(height) + "\" viewBox=\"0 0 " + std::to_string(width) + " " + std::to_string(height) +
       "\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" font-size=\"12\">\n";
  o += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  o += b;
  o += "</svg>\n";
  return o;
}

}  // namespace gilsim
