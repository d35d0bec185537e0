#include "sync/backoff.h"

#include <algorithm>
#include <cmath>

namespace esfs::sync {

std::chrono::milliseconds BackoffNominal(int failures, const BackoffPolicy& policy) {
  const int64_t base = std::max<int64_t>(policy.base.count(), 1);
  const int64_t cap = std::max<int64_t>(policy.cap.count(), base);
  int64_t wait = base;
  // Doubling stops at the cap, so no shift can overflow.
  for (int i = 1; i < failures && wait < cap; ++i) wait *= 2;
  return std::chrono::milliseconds(std::min(wait, cap));
}

std::chrono::milliseconds BackoffDelay(int failures, double unit, const BackoffPolicy& policy) {
  if (!(unit >= 0.0)) unit = 0.0;  // NaN too
  if (unit >= 1.0) unit = std::nextafter(1.0, 0.0);
  const double jitter = std::clamp(policy.jitter, 0.0, 1.0);
  const double nominal = static_cast<double>(BackoffNominal(failures, policy).count());
  const double factor = 1.0 - jitter + 2.0 * jitter * unit;
  return std::chrono::milliseconds(static_cast<int64_t>(std::llround(nominal * factor)));
}

}  // namespace esfs::sync
