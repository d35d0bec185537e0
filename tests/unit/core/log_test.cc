#include "core/log.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "tests/support/test_support.h"

namespace esfs::core {
namespace {

constexpr int64_t kSecond = 1'000'000;

std::vector<std::string> ReadLines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

uint64_t SizeOf(const std::string& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  return ec ? 0 : size;
}

size_t CountContaining(const std::vector<std::string>& lines, const std::string& needle) {
  size_t n = 0;
  for (const auto& l : lines) n += l.find(needle) != std::string::npos;
  return n;
}

class LogTest : public ::testing::Test {
 protected:
  LogOptions Options() {
    LogOptions o;
    o.clock = &clock_;
    return o;
  }
  std::string Path() const { return dir_.File("esfs.log"); }

  testing::TempDir dir_;
  FixedClock clock_{1'700'000'000 * kSecond};
};

TEST_F(LogTest, RotatesAtTheCapKeepingOneOldFile) {
  LogOptions o = Options();
  o.max_bytes = 4096;
  {
    LogWriter log(o);
    log.ToFile(Path());
    for (int i = 0; i < 1000; ++i) {
      log.Line("line " + std::string(1, static_cast<char>('a' + i % 26)) + std::string(40, 'x') + " #" +
               std::to_string(i));
      clock_.Advance(kSecond);  // keep the rate limit out of this test
      if (i % 9 == 0) clock_.Advance(61 * kSecond);
    }
  }
  EXPECT_LE(SizeOf(Path()), 4096u);
  EXPECT_GT(SizeOf(Path()), 0u);
  EXPECT_LE(SizeOf(Path() + ".1"), 4096u);
  EXPECT_GT(SizeOf(Path() + ".1"), 2048u);
  EXPECT_FALSE(std::filesystem::exists(Path() + ".2"));
  const auto lines = ReadLines(Path());
  ASSERT_FALSE(lines.empty());
  EXPECT_NE(lines.back().find("#999"), std::string::npos) << lines.back();
}

TEST_F(LogTest, ThousandIdenticalLinesAreCutToTheLimitPlusOneCount) {
  {
    LogWriter log(Options());
    log.ToFile(Path());
    for (int i = 0; i < 1000; ++i) log.Line("skipped object 17: bad path /junk");
  }
  const auto lines = ReadLines(Path());
  EXPECT_LE(lines.size(), kLogDefaultRepeatLimit + 1);
  EXPECT_EQ(CountContaining(lines, "(suppressed 990 similar lines: skipped object 17: bad path /junk)"), 1u);
}

TEST_F(LogTest, LinesDifferingOnlyInDigitsShareAKey) {
  {
    LogWriter log(Options());
    log.ToFile(Path());
    for (int i = 0; i < 1000; ++i) log.Line("skipped object " + std::to_string(i) + ": bad path");
  }
  EXPECT_LE(ReadLines(Path()).size(), kLogDefaultRepeatLimit + 1);
}

TEST_F(LogTest, DifferentLinesAreNotSuppressed) {
  {
    LogWriter log(Options());
    log.ToFile(Path());
    for (int i = 0; i < 100; ++i) log.Line(std::string(1, static_cast<char>('A' + i % 26)) + " event");
  }
  const auto lines = ReadLines(Path());
  EXPECT_EQ(lines.size(), 100u);
  EXPECT_EQ(CountContaining(lines, "suppressed"), 0u);
}

TEST_F(LogTest, CountIsWrittenWhenAnotherLineComesAndAfterTheWindow) {
  LogWriter log(Options());
  log.ToFile(Path());
  for (int i = 0; i < 15; ++i) log.Line("flood");
  log.Line("something else");
  auto lines = ReadLines(Path());
  ASSERT_EQ(lines.size(), 12u);
  EXPECT_NE(lines[10].find("(suppressed 5 similar lines: flood)"), std::string::npos) << lines[10];
  EXPECT_NE(lines[11].find("esfs: something else"), std::string::npos);

  for (int i = 0; i < 12; ++i) log.Line("something else");
  clock_.Advance(61 * kSecond);
  log.Line("something else");  // a new window: written, after the count
  lines = ReadLines(Path());
  ASSERT_EQ(lines.size(), 12u + 9 + 2);
  EXPECT_NE(lines[21].find("(suppressed 3 similar lines: something else)"), std::string::npos) << lines[21];
  EXPECT_NE(lines[22].find("esfs: something else"), std::string::npos);
}

TEST_F(LogTest, ALineWithNewlinesStaysOneLine) {
  {
    LogWriter log(Options());
    log.ToFile(Path());
    log.Line("first\nforged 2026-01-01 esfs: line\r\x1b[31m and a \\x0A already escaped \xff \u202E!");
  }
  const auto lines = ReadLines(Path());
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("first\\x0Aforged"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("\\x0D\\x1B[31m"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find(" and a \\x0A already"), std::string::npos) << lines[0];  // not escaped twice
  EXPECT_NE(lines[0].find(" \\xFF \\u{202E}!"), std::string::npos) << lines[0];
}

TEST_F(LogTest, AnUnwritableFileFallsBackToStderr) {
  LogWriter log(Options());
  log.ToFile(dir_.File("no/such/folder/esfs.log"));
  ::testing::internal::CaptureStderr();
  log.Line("still seen");
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("esfs: still seen"), std::string::npos) << err;
}

TEST_F(LogTest, LevelsDropLinesBelowTheOneAsked) {
  EXPECT_EQ(ParseLogLevel("warn"), LogLevel::kWarn);
  EXPECT_EQ(ParseLogLevel("warning"), LogLevel::kWarn);
  EXPECT_EQ(ParseLogLevel("debug"), LogLevel::kDebug);
  EXPECT_EQ(ParseLogLevel("loud"), std::nullopt);
  EXPECT_EQ(LevelOf("error: could not mount"), LogLevel::kError);
  EXPECT_EQ(LevelOf("warning: key file readable"), LogLevel::kWarn);
  EXPECT_EQ(LevelOf("debug: libfuse options"), LogLevel::kDebug);
  EXPECT_EQ(LevelOf("mounted at /x (error: none)"), LogLevel::kInfo);
  const std::vector<std::string> lines = {"error: e", "warning: w", "info i", "debug: d"};
  for (auto [level, kept] : std::vector<std::pair<LogLevel, size_t>>{
           {LogLevel::kError, 1}, {LogLevel::kWarn, 2}, {LogLevel::kInfo, 3}, {LogLevel::kDebug, 4}}) {
    std::filesystem::remove(Path());
    LogOptions o = Options();
    o.level = level;
    {
      LogWriter log(o);
      log.ToFile(Path());
      for (const auto& l : lines) log.Line(l);
    }
    const auto written = ReadLines(Path());
    EXPECT_EQ(written.size(), kept) << static_cast<int>(level);
    EXPECT_EQ(CountContaining(written, "esfs: error: e"), 1u);
  }
  // Dropped lines do not count toward the rate limit: a flood of debug
  // lines at info level writes nothing, not even a summary.
  std::filesystem::remove(Path());
  {
    LogWriter log(Options());
    log.ToFile(Path());
    for (int i = 0; i < 100; ++i) log.Line("debug: document " + std::to_string(i));
  }
  EXPECT_TRUE(ReadLines(Path()).empty());
}

}  // namespace
}  // namespace esfs::core
