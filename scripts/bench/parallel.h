// Shared by the benchmark programs of scripts/bench: run a loop body on
// several threads over contiguous slices of [0, n).
#pragma once

#include <algorithm>
#include <cstddef>
#include <thread>
#include <vector>

namespace esfs::bench {

// Runs body(begin, end) over [0, n) on |threads| threads; sums the results.
template <typename F>
long Parallel(size_t n, unsigned threads, F&& body) {
  std::vector<long> partial(threads, 0);
  std::vector<std::thread> pool;
  const size_t chunk = (n + threads - 1) / threads;
  for (unsigned t = 0; t < threads; ++t) {
    const size_t begin = std::min(n, t * chunk), end = std::min(n, begin + chunk);
    pool.emplace_back([&, t, begin, end] { partial[t] = body(begin, end); });
  }
  for (auto& th : pool) th.join();
  long sum = 0;
  for (long p : partial) sum += p;
  return sum;
}

}  // namespace esfs::bench
