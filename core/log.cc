#include "core/log.h"

#include <cstdlib>
#include <ctime>

#include "core/printable.h"

namespace esfs::core {
namespace {

constexpr size_t kSampleBytes = 80;

// core::Printable without its backslash step (the text may have been
// through Printable already; escaping twice would double every "\\"):
// controls, invisible characters and bytes that are not UTF-8 as escapes,
// cut past kLogMaxLineBytes. A backslash byte is never inside a UTF-8
// sequence, so splitting at backslashes cuts no character.
std::string OneLine(std::string_view text) {
  const size_t n = text.size() < kLogMaxLineBytes ? text.size() : kLogMaxLineBytes;
  std::string out;
  size_t from = 0;
  while (true) {
    const size_t slash = text.substr(0, n).find('\\', from);
    const size_t to = slash == std::string_view::npos ? n : slash;
    out += Printable(text.substr(from, to - from), kLogMaxLineBytes);
    if (slash == std::string_view::npos) break;
    out += '\\';
    from = slash + 1;
  }
  if (n < text.size()) out += "...(+" + std::to_string(text.size() - n) + " bytes)";
  return out;
}

std::string KeyOf(std::string_view text) {
  std::string key;
  for (char c : text) {
    if (key.size() == kLogKeyBytes) break;
    if (c < '0' || c > '9') key += c;
  }
  return key;
}

std::string Stamp(int64_t micros) {
  char stamp[32];
  const time_t secs = micros / 1'000'000;
  struct tm tm;
  localtime_r(&secs, &tm);
  strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &tm);
  return stamp;
}

}  // namespace

std::optional<LogLevel> ParseLogLevel(std::string_view name) {
  if (name == "error") return LogLevel::kError;
  if (name == "warn" || name == "warning") return LogLevel::kWarn;
  if (name == "info") return LogLevel::kInfo;
  if (name == "debug") return LogLevel::kDebug;
  return std::nullopt;
}

LogLevel LevelOf(std::string_view text) {
  if (text.starts_with("error: ")) return LogLevel::kError;
  if (text.starts_with("warning: ")) return LogLevel::kWarn;
  if (text.starts_with("debug: ")) return LogLevel::kDebug;
  return LogLevel::kInfo;
}

uint64_t LogMaxBytesFromEnv() {
  const char* env = std::getenv("ESFS_LOG_MAX_BYTES");
  if (env == nullptr) return kLogDefaultMaxBytes;
  char* end = nullptr;
  const unsigned long long value = std::strtoull(env, &end, 10);
  return (end != env && *end == '\0' && value > 0) ? value : kLogDefaultMaxBytes;
}

LogWriter::LogWriter(LogOptions options) : options_(options), clock_(options.clock ? options.clock : &system_clock_) {}

LogWriter::~LogWriter() {
  Flush();
  if (file_) fclose(file_);
}

void LogWriter::ToFile(const std::string& path) {
  std::scoped_lock lock(mu_);
  if (file_) fclose(file_);
  path_ = path;
  file_ = fopen(path.c_str(), "a");
  size_ = 0;
  if (file_ && fseek(file_, 0, SEEK_END) == 0) {
    const long at = ftell(file_);
    size_ = at > 0 ? static_cast<uint64_t>(at) : 0;
  }
}

void LogWriter::Line(std::string_view text) {
  if (LevelOf(text) > options_.level) return;
  std::scoped_lock lock(mu_);
  const int64_t now = clock_->NowMicros();
  std::string key = KeyOf(text);
  if (in_window_ > 0 && (key != key_ || now - window_start_ >= options_.window.count())) {
    FlushLocked(now);
    in_window_ = 0;
  }
  if (in_window_ == 0) {
    key_ = std::move(key);
    window_start_ = now;
  }
  if (++in_window_ <= options_.repeat_limit) {
    WriteLocked(now, OneLine(text));
  } else if (suppressed_++ == 0) {
    sample_ = OneLine(text.substr(0, kSampleBytes));
  }
}

void LogWriter::Flush() {
  std::scoped_lock lock(mu_);
  FlushLocked(clock_->NowMicros());
}

std::function<void(const std::string&)> LogWriter::AsFunction() {
  return [this](const std::string& l) { Line(l); };
}

void LogWriter::FlushLocked(int64_t now) {
  if (suppressed_ == 0) return;
  WriteLocked(now, "(suppressed " + std::to_string(suppressed_) + " similar lines: " + sample_ + ")");
  suppressed_ = 0;
  sample_.clear();
}

void LogWriter::WriteLocked(int64_t now, std::string_view text) {
  const std::string line = Stamp(now) + " esfs: " + std::string(text) + "\n";
  if (file_ && size_ > 0 && size_ + line.size() > options_.max_bytes) RotateLocked();
  if (file_ && fwrite(line.data(), 1, line.size(), file_) == line.size() && fflush(file_) == 0) {
    size_ += line.size();
    return;
  }
  fwrite(line.data(), 1, line.size(), stderr);
  fflush(stderr);
}

void LogWriter::RotateLocked() {
  fclose(file_);
  std::rename(path_.c_str(), (path_ + ".1").c_str());
  file_ = fopen(path_.c_str(), "w");
  size_ = 0;
}

}  // namespace esfs::core
