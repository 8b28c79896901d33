#pragma once
/// The pending-event set: an array-backed 4-ary min-heap ordered by (when, priority, seq).

#include <cstddef>
#include <cstdint>
#include <vector>

#include "sim/time.h"

namespace gilsim {

/// One pending event: a small POD naming a timer slot of the Engine and the generation it was
/// scheduled under (a later reschedule or cancel bumps the slot's generation and so retires it).
struct Event {
  Time when;
  uint64_t order;  ///< (priority << 56) | insertion seq: equal times resolve by priority, then FIFO.
  uint32_t timer;
  uint32_t gen;
};

/// Min-heap of events. push and pop are O(log n); no allocation once capacity is reached.
class EventQueue {
public:
  static constexpr int kArity = 4;

  void reserve(size_t n) { heap_.reserve(n); }
  bool empty() const { return heap_.empty(); }
  size_t size() const { return heap_.size(); }
  const Event& top() const { return heap_.front(); }
  void push(const Event& e);
  Event pop();
  void clear() { heap_.clear(); }
  /// Drops every event for which `dead(e)` holds and restores the heap order: O(n).
  template <typename Dead>
  void remove_if(Dead dead) {
    size_t out = 0;
    for (size_t i = 0; i < heap_.size(); ++i)
      if (!dead(heap_[i])) heap_[out++] = heap_[i];
    heap_.resize(out);
    for (size_t i = heap_.size() / kArity + 1; i-- > 0;) sift_down(i);
  }

private:
  void sift_down(size_t i);
  static bool before(const Event& a, const Event& b) {
    return a.when < b.when || (a.when == b.when && a.order < b.order);
  }
  std::vector<Event> heap_;
};

}  // namespace gilsim
