// Shared by the benchmark programs of scripts/bench: run a loop body on
// several threads over [0, n).
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <thread>
#include <vector>

namespace esfs::bench {

// Runs body(begin, end) over [0, n) on |threads| threads; sums the results.
// The threads take small runs of items as they go, so that they finish
// together (fixed slices leave a core idle when one slice is slower): the
// best a loop can do on these cores, as the CPU limit should be.
template <typename F>
long Parallel(size_t n, unsigned threads, F&& body) {
  constexpr size_t kRun = 16;
  std::atomic<size_t> next{0};
  std::vector<long> partial(threads, 0);
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (size_t begin = next.fetch_add(kRun); begin < n; begin = next.fetch_add(kRun)) {
        partial[t] += body(begin, std::min(n, begin + kRun));
      }
    });
  }
  for (auto& th : pool) th.join();
  long sum = 0;
  for (long p : partial) sum += p;
  return sum;
}

}  // namespace esfs::bench
