#pragma once
/// A picture of a window of the run, in the style of the classic GIL talks: one row per thread
/// coloured by its state, marks for failed acquisitions and drop requests, a time axis, a legend.
/// Only the window's intervals are kept, up to a bound.

#include <cstdint>
#include <string>
#include <vector>

#include "models/scenario.h"
#include "models/tracks.h"

namespace gilsim {

/// The window a timeline shows when none is given: the first 50 ms (a few py3 switch intervals,
/// hundreds of py2 checks), or the whole run when it is shorter.
inline constexpr Time kDefaultTimelineSpan = Time::ms(50);
/// Threads drawn one row each; beyond, the picture says how many it leaves out.
inline constexpr int kTimelineMaxRows = 16;
/// Width of the picture in pixels, by default, and the least and most it may be.
inline constexpr int kTimelineDefaultWidth = 1200;
inline constexpr int kTimelineMinWidth = 480;
inline constexpr int kTimelineMaxWidth = 20000;
/// Intervals kept in memory; beyond, the picture stops there and says so.
inline constexpr size_t kTimelineMaxIntervals = 2'000'000;

class Timeline final : public TrackObserver {
public:
  /// Draws window `w` of the run of `sc`, `width` pixels wide.
  Timeline(const Scenario& sc, Window w, int width = kTimelineDefaultWidth);
  /// Closes the open intervals at `end`, when the run stopped.
  void finish(Time end);
  /// The picture as a self-contained SVG document.
  std::string svg() const;

private:
  struct Seg {
    int64_t from;
    int64_t to;
    uint8_t state;
  };
  struct Mark {
    int64_t at;
    GilEvent event;
    int thread;
  };

  void slice(Track track, int index, int value, Time from, Time to) override;
  void mark(Time t, GilEvent e, int thread) override;
  void counter(Counter, Time, int) override {}
  bool full(Time t);

  int width_;
  std::string title_;
  std::string subtitle_;
  std::vector<std::string> names_;
  std::vector<std::vector<Seg>> rows_;
  std::vector<Mark> marks_;
  size_t stored_ = 0;
  bool truncated_ = false;
  Time truncated_at_;
  Time end_;
};

}  // namespace gilsim
