// How long to wait before trying a pub again after failures: exponential
// backoff with jitter. A pure function of the failure count and a random
// number, so the schedule is unit-tested on its own (tests/unit/sync).
#pragma once

#include <chrono>
#include <cstdint>

namespace esfs::sync {

struct BackoffPolicy {
  std::chrono::milliseconds base{1000};    // the wait after the first failure
  std::chrono::milliseconds cap{300'000};  // the nominal wait never grows past this
  double jitter = 0.5;                     // each wait is nominal × [1 − jitter, 1 + jitter]
};

// The nominal wait after |failures| consecutive failures (1: the first):
// base · 2^(failures − 1), at most cap. failures < 1 counts as 1.
std::chrono::milliseconds BackoffNominal(int failures, const BackoffPolicy& policy = {});

// The wait with jitter: nominal · (1 − jitter + 2 · jitter · |unit|), where
// |unit| is uniform in [0, 1) (clamped into it). Spreads the retries of
// many clients that lost the same pub at the same moment.
std::chrono::milliseconds BackoffDelay(int failures, double unit, const BackoffPolicy& policy = {});

}  // namespace esfs::sync
