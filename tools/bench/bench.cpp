/// gilsim-bench: the simulator's speed and memory, as numbers.
///
///   gilsim-bench [--quick]
///
/// Speed: a 64-thread, 64-core py3 scenario (each thread loops over Python work and I/O, so the
/// GIL is contended) run for a fixed number of loop iterations; prints events per second of wall
/// time and simulated seconds per wall second (median of 5 runs). Memory: the peak live heap
/// during a run of N and of 2N threads (counted by this program's operator new, sampled at every
/// GIL hand-off); the difference over N is the cost of one more simulated thread.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <vector>

#include "models/scenario_loader.h"
#include "models/simulation.h"

namespace {
std::atomic<int64_t> g_live{0};
}  // namespace

void* operator new(size_t n) {
  void* p = std::malloc(n + 16);
  if (!p) throw std::bad_alloc();
  *static_cast<size_t*>(p) = n;
  g_live += static_cast<int64_t>(n);
  return static_cast<char*>(p) + 16;
}
void operator delete(void* p) noexcept {
  if (!p) return;
  char* base = static_cast<char*>(p) - 16;
  g_live -= static_cast<int64_t>(*reinterpret_cast<size_t*>(base));
  std::free(base);
}
void operator delete(void* p, size_t) noexcept { operator delete(p); }

using namespace gilsim;

namespace {

std::string scenario_text(int threads, int cores, int loops) {
  return R"({"name":"bench","seed":1,"machine":{"cores":)" + std::to_string(cores) +
         R"(},"interpreter":{"gil":"py3"},"threads":[{"name":"w","count":)" + std::to_string(threads) +
         R"(,"program":[{"loop":)" + std::to_string(loops) +
         R"(,"do":[{"cpu":{"exp":"20us"}},{"io":{"exp":"200us"}}]}]}]})";
}

struct Sample {
  double wall_s;
  uint64_t events;
  int64_t sim_ns;
};

Sample time_run(const Scenario& sc) {
  const auto t0 = std::chrono::steady_clock::now();
  const RunResult r = simulate(sc);
  const auto t1 = std::chrono::steady_clock::now();
  return {std::chrono::duration<double>(t1 - t0).count(), r.events, r.end.count()};
}

}  // namespace

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  const int loops = quick ? 200 : 2000;
  const Scenario sc = load_scenario(parse_json_text(scenario_text(64, 64, loops), "bench"), "bench");
  std::vector<Sample> s;
  for (int i = 0; i < (quick ? 1 : 5); ++i) s.push_back(time_run(sc));
  std::sort(s.begin(), s.end(), [](const Sample& a, const Sample& b) { return a.wall_s < b.wall_s; });
  const Sample m = s[s.size() / 2];
  std::printf("speed: 64 threads, 64 cores, py3, %d loops of cpu exp(20us) + io exp(200us) per thread\n", loops);
  std::printf("  events            %llu\n", static_cast<unsigned long long>(m.events));
  std::printf("  wall time         %.3f s (median of %zu)\n", m.wall_s, s.size());
  std::printf("  events per second %.2f million\n", static_cast<double>(m.events) / m.wall_s / 1e6);
  std::printf("  simulated time    %.3f s\n", static_cast<double>(m.sim_ns) / 1e9);
  std::printf("  faster than real  %.0fx\n", static_cast<double>(m.sim_ns) / 1e9 / m.wall_s);

  // Peak memory per thread during a run: the live bytes at the moment simulate() is deepest are
  // what matters; we approximate it by the bytes allocated by a run of N vs 2N threads, measured
  // through a run with an observer that samples the live count at every GIL hand-off.
  struct Peak : Observer {
    int64_t base = 0, peak = 0;
    void on_gil(Time, int, int) override { peak = std::max(peak, g_live.load() - base); }
  };
  auto peak_bytes = [&](int threads) {
    const Scenario s2 = load_scenario(parse_json_text(scenario_text(threads, 64, 20), "bench"), "bench");
    Peak p;
    p.base = g_live.load();
    simulate(s2, &p);
    return p.peak;
  };
  const int n = quick ? 500 : 2000;
  const int64_t a = peak_bytes(n), b = peak_bytes(2 * n);
  std::printf("memory: peak live heap during a run: %d threads %.1f KiB, %d threads %.1f KiB\n", n, a / 1024.0, 2 * n,
              b / 1024.0);
  std::printf("  per simulated thread %.0f bytes\n", static_cast<double>(b - a) / n);
  return 0;
}
