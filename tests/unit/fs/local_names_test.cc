// A workspace's own local-only names (.esfsignore): parsing, matching, and
// when a changed list takes effect. The mount's use of it is in
// tests/integration/mount_test.cc.
#include "fs/local_names.h"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include "tests/support/test_support.h"

namespace esfs::fs {
namespace {

using Names = std::vector<std::string>;

IgnorePatterns Parse(std::string_view text) {
  std::vector<std::string> problems;
  IgnorePatterns patterns = IgnorePatterns::Parse(text, &problems);
  EXPECT_TRUE(problems.empty()) << problems.front();
  return patterns;
}

TEST(IgnorePatterns, SkipsCommentsBlankLinesAndTrailingWhiteSpace) {
  const auto patterns = Parse("# build output\n\n   \n*.log  \r\nbuild/\n");
  EXPECT_EQ(patterns.size(), 2u);
  EXPECT_EQ(patterns.FirstMatch(Names{"run.log"}), 0u);
  EXPECT_EQ(patterns.FirstMatch(Names{"build"}), 0u);
  EXPECT_EQ(patterns.FirstMatch(Names{"# build output"}), 1u);
  EXPECT_EQ(patterns.FirstMatch(Names{"run.log  "}), 1u);
}

TEST(IgnorePatterns, APatternWithoutSlashMatchesANameAtAnyDepth) {
  const auto patterns = Parse("*.log\nnode_modules\n");
  EXPECT_EQ(patterns.FirstMatch(Names{"a", "b", "x.log"}), 2u);
  EXPECT_EQ(patterns.FirstMatch(Names{"x.log", "inner.txt"}), 0u);
  EXPECT_EQ(patterns.FirstMatch(Names{"app", "node_modules", "lib", "index.js"}), 1u);
  EXPECT_EQ(patterns.FirstMatch(Names{"x.log.txt"}), 1u);
  EXPECT_EQ(patterns.FirstMatch(Names{"node_modules.md"}), 1u);
  // Like .gitignore, '*' matches names that start with a dot.
  EXPECT_EQ(Parse("*.tmp").FirstMatch(Names{".hidden.tmp"}), 0u);
}

TEST(IgnorePatterns, APatternWithASlashMatchesFromTheWorkspaceRoot) {
  const auto patterns = Parse("/drafts/\nnotes/*.tmp\n");
  EXPECT_EQ(patterns.FirstMatch(Names{"drafts", "plan.md"}), 0u);
  EXPECT_EQ(patterns.FirstMatch(Names{"sub", "drafts", "plan.md"}), 3u);
  EXPECT_EQ(patterns.FirstMatch(Names{"notes", "a.tmp"}), 1u);
  // '*' does not cross a '/', and the pattern is rooted.
  EXPECT_EQ(patterns.FirstMatch(Names{"notes", "a", "b.tmp"}), 3u);
  EXPECT_EQ(patterns.FirstMatch(Names{"x", "notes", "a.tmp"}), 3u);
  EXPECT_EQ(patterns.FirstMatch(Names{}), 0u);
}

TEST(IgnorePatterns, LinesItCannotUseAreSkippedAndNamedByLine) {
  std::vector<std::string> problems;
  const auto patterns = IgnorePatterns::Parse("*.log\n!keep.log\n/\n*.bak", &problems);
  EXPECT_EQ(patterns.size(), 2u);
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(problems[0].rfind("line 2 (!keep.log): skipped", 0), 0u) << problems[0];
  EXPECT_EQ(problems[1].rfind("line 3 (/): skipped", 0), 0u) << problems[1];
  // The exception is not applied: keep.log still matches *.log.
  EXPECT_EQ(patterns.FirstMatch(Names{"keep.log"}), 0u);
  EXPECT_EQ(patterns.FirstMatch(Names{"old.bak"}), 0u);
}

TEST(FirstLocalName, TheFirstOfBuiltInAndListedNamesWins) {
  const auto patterns = Parse("*.log\n/drafts\n");
  EXPECT_EQ(FirstLocalName(Names{"a", ".git", "x.log"}, &patterns), 1u);
  EXPECT_EQ(FirstLocalName(Names{"drafts", ".x.swp"}, &patterns), 0u);
  EXPECT_EQ(FirstLocalName(Names{"a", "x.log"}, nullptr), 2u);
  EXPECT_EQ(FirstLocalName(Names{"a", "x.txt~"}, nullptr), 1u);
  EXPECT_EQ(FirstLocalName(Names{"a", "b.md"}, &patterns), 2u);
  // The list itself never leaves the machine.
  EXPECT_EQ(FirstLocalName(Names{kIgnoreFileName}, nullptr), 0u);
}

class LocalNamesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(mkdir((dir_.path() + "/local").c_str(), 0755), 0);
    ASSERT_EQ(mkdir(ws_dir_.c_str(), 0755), 0);
  }
  size_t FirstLocal(const Names& names) const { return names_.FirstLocal(kWs, names); }
  bool Logged(const std::string& text) const {
    for (const auto& line : log_) {
      if (line.find(text) != std::string::npos) return true;
    }
    return false;
  }

  static constexpr const char* kWs = "+garden.ws";
  testing::TempDir dir_;
  std::string ws_dir_ = dir_.path() + "/local/" + kWs;
  std::string list_ = ws_dir_ + "/" + kIgnoreFileName;
  std::vector<std::string> log_;
  LocalNames names_{dir_.path(), [this](const std::string& line) { log_.push_back(line); }};
};

TEST_F(LocalNamesTest, AListWrittenThroughTheMountAppliesAtOnce) {
  EXPECT_EQ(FirstLocal(Names{"run.log"}), 1u);
  testing::WriteFile(list_, "*.log\n!run.log\n");
  names_.Changed(kWs);
  EXPECT_EQ(FirstLocal(Names{"run.log"}), 0u);
  EXPECT_EQ(names_.For("+other.ws")->size(), 0u);
  EXPECT_TRUE(Logged("+garden.ws/.esfsignore line 2 (!run.log): skipped")) << ::testing::PrintToString(log_);
  EXPECT_TRUE(Logged("+garden.ws/.esfsignore: 1 pattern(s)"));
  ASSERT_EQ(unlink(list_.c_str()), 0);
  names_.Changed(kWs);
  EXPECT_EQ(FirstLocal(Names{"run.log"}), 1u);
  EXPECT_TRUE(Logged("+garden.ws/.esfsignore is gone"));
}

TEST_F(LocalNamesTest, AListEditedBesideTheMountAppliesWithinASecond) {
  EXPECT_EQ(FirstLocal(Names{"a.tmp"}), 1u);
  testing::WriteFile(list_, "*.tmp\n");
  EXPECT_TRUE(testing::Eventually([&] { return FirstLocal(Names{"a.tmp"}) == 0u; }, 3));
  testing::WriteFile(list_, "*.bak\n");
  EXPECT_TRUE(testing::Eventually([&] { return FirstLocal(Names{"a.tmp"}) == 1u; }, 3));
  EXPECT_EQ(FirstLocal(Names{"a.bak"}), 0u);
}

TEST_F(LocalNamesTest, AListThatCannotBeReadKeepsThePreviousOne) {
  testing::WriteFile(list_, "*.log\n");
  names_.Changed(kWs);
  ASSERT_EQ(FirstLocal(Names{"x.log"}), 0u);
  // A folder in its place, then a file over the size limit: both are
  // refused with a log line, and *.log stays in force.
  ASSERT_EQ(unlink(list_.c_str()), 0);
  ASSERT_EQ(mkdir(list_.c_str(), 0755), 0);
  names_.Changed(kWs);
  EXPECT_EQ(FirstLocal(Names{"x.log"}), 0u);
  EXPECT_TRUE(Logged("+garden.ws/.esfsignore: not read (not a file); 1 pattern(s) read before stay in use"));
  ASSERT_EQ(rmdir(list_.c_str()), 0);
  testing::WriteFile(list_, "*.md\n" + std::string(kMaxIgnoreFileBytes, '#'));
  names_.Changed(kWs);
  EXPECT_EQ(FirstLocal(Names{"x.log"}), 0u);
  EXPECT_EQ(FirstLocal(Names{"x.md"}), 1u);
  EXPECT_TRUE(Logged("not read (over 1 MiB)"));
}

}  // namespace
}  // namespace esfs::fs
