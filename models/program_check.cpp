#include "models/program_check.h"

#include "models/input_error.h"

namespace gilsim {

namespace {

/// How a piece of program behaves in simulated time.
struct Flow {
  bool advances = false;  ///< it always, or on average, moves simulated time forward
  uint64_t steps = 0;     ///< program steps it may take at one instant (saturating)
};

uint64_t sat_add(uint64_t a, uint64_t b) { return a > UINT64_MAX - b ? UINT64_MAX : a + b; }
uint64_t sat_mul(uint64_t a, uint64_t b) { return a != 0 && b > UINT64_MAX / a ? UINT64_MAX : a * b; }

/// Whether a phase of this duration moves time forward (on average, for distributions).
bool takes_time(const DurationSpec& d, Time tick) {
  switch (d.kind) {
    case DurationSpec::Kind::kFixed: return d.a > 0;
    case DurationSpec::Kind::kTicks: return d.a > 0 && tick > Time::zero();
    case DurationSpec::Kind::kUniform: return d.b > 0;
    case DurationSpec::Kind::kExp: return d.a > 0;
    case DurationSpec::Kind::kNormal: return d.a > 0 || d.b > 0;
    case DurationSpec::Kind::kQuantiles: return d.table->back().ns > 0;  // some draws are positive
  }
  return false;
}

const char* phase_key(Op::Kind k) {
  switch (k) {
    case Op::Kind::kCpu: return "cpu";
    case Op::Kind::kIo: return "io";
    case Op::Kind::kNative: return "native";
    case Op::Kind::kNativeGil: return "native_gil";
    case Op::Kind::kSend: return "send";
    case Op::Kind::kRecv: return "recv";
    default: return "?";
  }
}

class Checker {
public:
  Checker(const std::vector<Op>& ops, Time tick, const std::string& file) : ops_(ops), tick_(tick), file_(file) {}

  /// The phase list held in ops [b, e).
  Flow list(size_t b, size_t e, const std::string& path) const {
    Flow f;
    uint64_t zero = 0;  ///< steps of the items that take no time
    int item = 0;
    for (size_t i = b; i < e; ++item) {
      const Op& op = ops_[i];
      Flow g;
      if (op.kind == Op::Kind::kLoopBegin) {
        g = loop(op, list(i + 1, op.jump, path + "/" + std::to_string(item) + "/do"), path + "/" + std::to_string(item));
        i = op.jump + 1;
      } else {
        if (op.dur.kind == DurationSpec::Kind::kTicks && tick_ > Time::zero() && op.dur.a > kMaxDurationNs / tick_.count())
          throw InputError(file_, path + "/" + std::to_string(item) + "/" + phase_key(op.kind) + "/ticks",
                           std::to_string(op.dur.a) + " ticks of " + std::to_string(tick_.count()) +
                               "ns (machine.costs.tick) are more than 2^53 ns, about 104 days");
        g = Flow{op.kind == Op::Kind::kRecv || takes_time(op.dur, tick_), 1};  // a recv blocks until a send
        ++i;
      }
      f.advances = f.advances || g.advances;
      if (!g.advances) zero = sat_add(zero, g.steps);
      f.steps = sat_add(f.steps, g.advances ? g.steps : 0);
    }
    if (zero > kMaxStepsAtOneInstant)
      throw InputError(file_, path, "these phases take " + std::to_string(zero) + " program steps without simulated time advancing (at most " +
                                        std::to_string(kMaxStepsAtOneInstant) + "): give a phase a duration");
    f.steps = sat_add(f.steps, zero);
    return f;
  }

private:
  Flow loop(const Op& op, const Flow& body, const std::string& path) const {
    if (op.count == 0) return Flow{false, 1};
    if (body.advances) return Flow{true, sat_add(sat_mul(body.steps, 2), 2)};  // one iteration's tail and the next one's head
    if (op.count < 0)
      throw InputError(file_, path, "a \"forever\" loop whose phases all take 0ns never lets simulated time advance: give a phase a duration");
    const uint64_t steps = sat_add(sat_mul(static_cast<uint64_t>(op.count), sat_add(body.steps, 1)), 1);
    if (steps > kMaxStepsAtOneInstant)
      throw InputError(file_, path, "this loop takes " + (steps == UINT64_MAX ? std::string("over 2^64") : std::to_string(steps)) +
                                        " program steps without simulated time advancing (at most " +
                                        std::to_string(kMaxStepsAtOneInstant) + "): its phases all take 0ns");
    return Flow{false, steps};
  }

  const std::vector<Op>& ops_;
  Time tick_;
  const std::string& file_;
};

}  // namespace

void check_program_progress(const std::vector<Op>& program, Time tick, const std::string& file, const std::string& path) {
  const size_t end = !program.empty() && program.back().kind == Op::Kind::kEnd ? program.size() - 1 : program.size();
  Checker(program, tick, file).list(0, end, path);
}

}  // namespace gilsim
