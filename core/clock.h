// Time as es.4 counts it: integer microseconds since the Unix epoch.
// Validation, ingest and queries take "now" from a Clock so that tests can
// inject one (the vectors were computed at a fixed now).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace esfs::core {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t NowMicros() const = 0;
};

class SystemClock final : public Clock {
 public:
  int64_t NowMicros() const override {
    using namespace std::chrono;
    return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
  }
};

// A clock that says what it is told; thread-safe.
class FixedClock final : public Clock {
 public:
  explicit FixedClock(int64_t now) : now_(now) {}
  int64_t NowMicros() const override { return now_.load(); }
  void Set(int64_t now) { now_.store(now); }
  void Advance(int64_t micros) { now_ += micros; }

 private:
  std::atomic<int64_t> now_;
};

}  // namespace esfs::core
