// The retry schedule (sync/backoff.h): exponential growth from the base,
// the cap, and the jitter range.
#include "sync/backoff.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>

namespace esfs::sync {
namespace {

using std::chrono::milliseconds;

TEST(Backoff, TheDefaultScheduleDoublesFromOneSecondUpToFiveMinutes) {
  const BackoffPolicy policy;  // what the syncer uses
  const int64_t expected[] = {1000, 2000, 4000, 8000, 16000, 32000, 64000, 128000, 256000, 300000, 300000};
  for (int failures = 1; failures <= 11; ++failures) {
    EXPECT_EQ(BackoffNominal(failures, policy).count(), expected[failures - 1]) << failures;
  }
  // Never past the cap, however many failures (no overflow either).
  for (int failures : {12, 40, 63, 64, 1000, 1 << 30})
    EXPECT_EQ(BackoffNominal(failures, policy), milliseconds(300000));
  // Nonsense counts mean "the first failure".
  EXPECT_EQ(BackoffNominal(0, policy), milliseconds(1000));
  EXPECT_EQ(BackoffNominal(-5, policy), milliseconds(1000));
}

TEST(Backoff, JitterSpansHalfToOneAndAHalfTimesTheNominalWait) {
  const BackoffPolicy policy;
  // The ends of the range, and the middle.
  EXPECT_EQ(BackoffDelay(1, 0.0, policy), milliseconds(500));
  EXPECT_EQ(BackoffDelay(1, 0.5, policy), milliseconds(1000));
  EXPECT_EQ(BackoffDelay(1, 0.9999999, policy), milliseconds(1500));
  EXPECT_EQ(BackoffDelay(3, 0.0, policy), milliseconds(2000));
  EXPECT_EQ(BackoffDelay(3, 0.9999999, policy), milliseconds(6000));
  EXPECT_EQ(BackoffDelay(50, 0.0, policy), milliseconds(150000));
  EXPECT_EQ(BackoffDelay(50, 0.9999999, policy), milliseconds(450000));
  // Out-of-range random numbers are clamped, not trusted.
  EXPECT_EQ(BackoffDelay(1, -3.0, policy), milliseconds(500));
  EXPECT_EQ(BackoffDelay(1, 7.0, policy), milliseconds(1500));
  EXPECT_EQ(BackoffDelay(1, std::nan(""), policy), milliseconds(500));
  // With a real generator: every wait inside its range, and the range
  // really used (not a constant): both quarters near the ends are hit.
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  for (int failures = 1; failures <= 12; ++failures) {
    const int64_t nominal = BackoffNominal(failures, policy).count();
    int64_t lo = INT64_MAX, hi = 0;
    for (int i = 0; i < 2000; ++i) {
      const int64_t d = BackoffDelay(failures, unit(rng), policy).count();
      ASSERT_GE(d, nominal / 2) << failures;
      ASSERT_LE(d, nominal * 3 / 2) << failures;
      lo = std::min(lo, d), hi = std::max(hi, d);
    }
    EXPECT_LT(lo, nominal * 3 / 4) << failures;
    EXPECT_GT(hi, nominal * 5 / 4) << failures;
  }
}

TEST(Backoff, GrowsWithEveryFailureEvenWithTheWorstJitter) {
  // Worst case for "spaced out": every wait at its shortest. The sum of
  // waits still grows exponentially: after n failures at least
  // 0.5 · (2^n − 1) s have passed, so a down pub sees at most ~log2(t)
  // attempts in t seconds until the cap, then one every 2.5 min at most.
  const BackoffPolicy policy;
  int64_t elapsed = 0;
  for (int failures = 1; failures <= 9; ++failures) {
    elapsed += BackoffDelay(failures, 0.0, policy).count();
    EXPECT_EQ(elapsed, 500 * ((int64_t{1} << failures) - 1)) << failures;
  }
  for (int failures = 2; failures <= 12; ++failures) {
    EXPECT_GE(BackoffDelay(failures, 0.0, policy), BackoffDelay(failures - 1, 0.0, policy));
  }
  EXPECT_EQ(BackoffDelay(100, 0.0, policy), milliseconds(150000));
}

TEST(Backoff, APolicyOfItsOwn) {
  const BackoffPolicy policy{milliseconds(200), milliseconds(1600), 0.25};
  EXPECT_EQ(BackoffNominal(1, policy), milliseconds(200));
  EXPECT_EQ(BackoffNominal(4, policy), milliseconds(1600));
  EXPECT_EQ(BackoffNominal(9, policy), milliseconds(1600));
  EXPECT_EQ(BackoffDelay(1, 0.0, policy), milliseconds(150));
  EXPECT_EQ(BackoffDelay(1, 0.9999999, policy), milliseconds(250));
  // No jitter: exactly the nominal wait. A cap below the base: the base.
  EXPECT_EQ(BackoffDelay(3, 0.123, BackoffPolicy{milliseconds(100), milliseconds(1000), 0.0}), milliseconds(400));
  EXPECT_EQ(BackoffNominal(5, BackoffPolicy{milliseconds(500), milliseconds(10), 0.5}), milliseconds(500));
}

}  // namespace
}  // namespace esfs::sync
