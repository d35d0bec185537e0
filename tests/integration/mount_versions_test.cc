// Local versions on a real mount (DESIGN decision 9, issue #18): after an
// overwrite, an rm, or a peer's save arriving by import in another
// process, the replaced content is in the history folder under a name that
// ls sorts by time, and cp restores it. A peer's save right after yours is
// counted as a conflict in esfs status and logged with both authors.
#include <sys/stat.h>

#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/mount_fixture.h"

namespace esfs::testing {
namespace {

using core::OrderedJson;

class MountVersions : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(m_.mounted()) << m_.LogText(); }
  std::string History(const std::string& path) { return m_.Path(".esfs-history/" + path); }
  // The local version files of |path| (names starting with a year), in
  // the order ls sorts them.
  std::vector<std::string> Kept(const std::string& path) {
    std::vector<std::string> out;
    for (const auto& name : ListDir(History(path))) {
      if (!name.empty() && name[0] != '@') out.push_back(name);
    }
    return out;
  }
  MountedEsfs m_;
  TempDir tmp_;
};

TEST_F(MountVersions, OverwriteAndRmAreRestorableWithCp) {
  WriteFile(m_.Path("notes.md"), "first draft\n");
  WriteFile(m_.Path("notes.md"), "second draft\n");
  auto kept = Kept("notes.md");
  ASSERT_EQ(kept.size(), 1u) << m_.LogText();
  EXPECT_TRUE(kept[0].starts_with("20")) << kept[0];
  EXPECT_TRUE(kept[0].ends_with("_" + m_.address())) << kept[0];
  EXPECT_EQ(ReadFile(History("notes.md/" + kept[0])), "first draft\n");
  struct stat st;
  ASSERT_EQ(stat(History("notes.md/" + kept[0]).c_str(), &st), 0);
  EXPECT_EQ(st.st_size, 12);
  EXPECT_EQ(st.st_mode & 0777, 0444u);
  // Binary content too (a data URL in the store, bytes here).
  const std::string bytes("\x00\xff\xfe binary", 10);
  WriteFile(m_.Path("notes.md"), bytes);
  ASSERT_EQ(unlink(m_.Path("notes.md").c_str()), 0);
  kept = Kept("notes.md");
  ASSERT_EQ(kept.size(), 3u);
  EXPECT_TRUE(std::is_sorted(kept.begin(), kept.end()));
  EXPECT_EQ(ReadFile(History("notes.md/" + kept[1])), "second draft\n");
  EXPECT_TRUE(ReadFile(History("notes.md/" + kept[2])) == bytes);
  // cp restores each: a new save by you.
  auto cp = RunProgram({"cp", History("notes.md/" + kept[2]), m_.Path("notes.md")});
  ASSERT_EQ(cp.exit_code, 0) << cp.err;
  EXPECT_TRUE(ReadFile(m_.Path("notes.md")) == bytes);
  cp = RunProgram({"cp", History("notes.md/" + kept[0]), m_.Path("notes.md")});
  ASSERT_EQ(cp.exit_code, 0) << cp.err;
  EXPECT_EQ(ReadFile(m_.Path("notes.md")), "first draft\n");
  // Kept across a remount (the store's local state); never exported.
  ASSERT_TRUE(m_.Remount());
  EXPECT_EQ(Kept("notes.md").size(), 4u);
  for (const auto& d : m_.Export()) EXPECT_NE(d["content"], "second draft\n");
  // The history folder stays read-only.
  EXPECT_NE(RunProgram({"cp", m_.Path("notes.md"), History("notes.md/" + kept[0])}).exit_code, 0);
}

TEST_F(MountVersions, APeersSaveByImportKeepsYoursAndCountsAConflict) {
  const std::string matt_key = tmp_.File("matt.json");
  ASSERT_EQ(m_.Esfs({"keygen", "matt", "--out", matt_key}).exit_code, 0);
  WriteFile(m_.Path("plan.txt"), "my plan\n");
  auto doc = m_.Esfs({"sign", "--keypair", matt_key, "--workspace", MountedEsfs::kWorkspace, "--path", "/plan.txt",
                      "--content", "matt's plan\n"});
  ASSERT_EQ(doc.exit_code, 0) << doc.err;
  const std::string signed_doc = doc.out.substr(doc.out.find('{'));
  auto imported = m_.Esfs({"import", MountedEsfs::kWorkspace, "-"}, "[" + signed_doc + "]");
  ASSERT_EQ(imported.exit_code, 0) << imported.out << imported.err;
  ASSERT_TRUE(Eventually([&] { return ReadFile(m_.Path("plan.txt")) == "matt's plan\n"; }, 10));
  auto kept = Kept("plan.txt");
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(ReadFile(History("plan.txt/" + kept[0])), "my plan\n");
  auto cp = RunProgram({"cp", History("plan.txt/" + kept[0]), m_.Path("plan.txt")});
  ASSERT_EQ(cp.exit_code, 0) << cp.err;
  EXPECT_EQ(ReadFile(m_.Path("plan.txt")), "my plan\n");
  // esfs status counts it (text and JSON).
  auto status = m_.Esfs({"status", "--json"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  auto json = OrderedJson::parse(status.out, nullptr, false);
  ASSERT_FALSE(json.is_discarded()) << status.out;
  EXPECT_EQ(json[0]["conflicts"], 1) << status.out;
  auto text = m_.Esfs({"status"});
  EXPECT_NE(text.out.find("1 conflicts"), std::string::npos) << text.out;
  // No conflict-copy files.
  EXPECT_EQ(ListDir(m_.Path()), (std::set<std::string>{"plan.txt"}));
}

}  // namespace
}  // namespace esfs::testing
