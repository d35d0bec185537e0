// The log writer: one time-stamped line per event, "<stamp> esfs: <text>",
// to a file (the mount daemon's <data>/esfs.log) or to stderr.
//
// Contract:
//   - Every line is one line: |text| is escaped as core::Printable does
//     (controls, bidi/invisible characters, bytes that are not UTF-8)
//     except that backslashes are left alone, and cut past
//     kLogMaxLineBytes. Callers may pass text that went through Printable
//     already; it is not escaped a second time.
//   - Size cap with rotation: before a line would take the file past
//     |max_bytes|, the file is renamed to "<path>.1" (replacing an older
//     .1) and a fresh file is started. At most max_bytes + one line each.
//   - Rate limit on repeated lines: the key of a line is its text with the
//     ASCII digits removed, cut to its first kLogKeyBytes bytes. Lines with
//     the key of the line before are written at most |repeat_limit| times
//     per |window|; the rest are counted, and one line
//     "(suppressed K similar lines: <first 80 bytes of the first one>)"
//     is written when a line with another key comes, when the next line
//     comes after the window has ended, at Flush() and at destruction.
//     Only the latest key is followed (floods are runs of the same line).
//   - A file that cannot be opened or written: the lines go to stderr.
//   - Levels (--log-level): a line's level comes from how its text starts,
//     so that every part can keep logging through a plain
//     function<void(string)>: "error: " is an error, "warning: " a
//     warning, "debug: " debug, anything else info. Lines below
//     LogOptions::level are dropped before the rate limit counts them.
// Thread-safe. Knows no FUSE, HTTP or keys.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"

namespace esfs::core {

inline constexpr uint64_t kLogDefaultMaxBytes = 10ull << 20;
inline constexpr size_t kLogDefaultRepeatLimit = 10;
inline constexpr std::chrono::seconds kLogDefaultWindow{60};
inline constexpr size_t kLogMaxLineBytes = 4096;
inline constexpr size_t kLogKeyBytes = 48;

enum class LogLevel { kError = 0, kWarn = 1, kInfo = 2, kDebug = 3 };

// "error", "warn" (or "warning"), "info", "debug"; nullopt for anything else.
std::optional<LogLevel> ParseLogLevel(std::string_view name);
// The level of a line of text, by its prefix (see above).
LogLevel LevelOf(std::string_view text);

struct LogOptions {
  LogLevel level = LogLevel::kInfo;
  uint64_t max_bytes = kLogDefaultMaxBytes;
  size_t repeat_limit = kLogDefaultRepeatLimit;
  std::chrono::microseconds window = kLogDefaultWindow;
  const Clock* clock = nullptr;  // nullptr: the system clock; not owned
};

// ESFS_LOG_MAX_BYTES if set to a positive number, else kLogDefaultMaxBytes.
uint64_t LogMaxBytesFromEnv();

class LogWriter {
 public:
  explicit LogWriter(LogOptions options = {});
  ~LogWriter();
  LogWriter(const LogWriter&) = delete;
  LogWriter& operator=(const LogWriter&) = delete;

  // From now on, lines are appended to |path| (stderr if it cannot be
  // opened).
  void ToFile(const std::string& path);
  // Drops |text| if its level (LevelOf) is below LogOptions::level.
  void Line(std::string_view text);
  // Writes the pending "(suppressed ...)" line, if any.
  void Flush();
  // The interface the rest of the code logs through; valid while *this is.
  std::function<void(const std::string&)> AsFunction();

 private:
  void WriteLocked(int64_t now, std::string_view text);
  void FlushLocked(int64_t now);
  void RotateLocked();

  LogOptions options_;
  SystemClock system_clock_;
  const Clock* clock_;
  std::mutex mu_;  // guards all below
  std::string path_;
  FILE* file_ = nullptr;  // nullptr: stderr
  uint64_t size_ = 0;     // bytes in file_
  std::string key_;
  int64_t window_start_ = 0;
  size_t in_window_ = 0;
  size_t suppressed_ = 0;
  std::string sample_;  // first suppressed line, cut
};

}  // namespace esfs::core
