// Shared by the benchmark programs of scripts/bench: one measured
// operation, run repetition by repetition, with its wall and CPU time.
#pragma once

#include <sys/resource.h>

#include <chrono>
#include <functional>
#include <vector>

namespace esfs::bench {

// CPU time (user + system) of the whole process so far, all threads.
inline double ProcessCpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto sec = [](const timeval& tv) { return static_cast<double>(tv.tv_sec) + tv.tv_usec / 1e6; };
  return sec(ru.ru_utime) + sec(ru.ru_stime);
}

// One operation: |run| does the work once over all documents and returns
// the number of failed items.
struct Series {
  const char* op;
  unsigned threads;
  std::function<long()> run;
  std::vector<double> seconds;  // one per repetition
  double cpu_seconds = 0;       // over all repetitions
  long failures = 0;
};

// One repetition of |s|: its wall time, CPU time and failures are added.
inline void RunOnce(Series& s) {
  const double cpu0 = ProcessCpuSeconds();
  const auto t0 = std::chrono::steady_clock::now();
  s.failures += s.run();
  s.seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  s.cpu_seconds += ProcessCpuSeconds() - cpu0;
}

}  // namespace esfs::bench
