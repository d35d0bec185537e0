// Two mounts, two identities, one REAL reference pub: what is saved in one
// mount shows up in the other while both run (live updates).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <set>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/mount_fixture.h"
#include "tests/support/ref_pub.h"

namespace esfs::testing {
namespace {

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

TEST(SyncMounts, SavesDeletesAndConflictsTravelLiveBetweenMounts) {
  ReferencePub pub;
  ASSERT_TRUE(pub.ready());
  MountedEsfs a("suzy", pub.url());
  MountedEsfs b("matt", pub.url());
  ASSERT_TRUE(a.mounted() && b.mounted());
  // Created in A, appears in B without restarting B.
  WriteFile(a.Path("hello.txt"), "hello from a");
  ASSERT_TRUE(Eventually([&] { return ReadFile(b.Path("hello.txt")) == "hello from a"; })) << b.LogText();
  // Edits in both converge to the same winner; the other stays as history.
  WriteFile(a.Path("shared.md"), "a's version");
  WriteFile(b.Path("shared.md"), "b's version");
  ASSERT_TRUE(Eventually([&] {
    const std::string in_a = ReadFile(a.Path("shared.md")), in_b = ReadFile(b.Path("shared.md"));
    return in_a == in_b && !in_a.empty() && a.Export().size() >= 3 && b.Export().size() >= 3;
  })) << a.LogText()
      << b.LogText();
  // A delete in A removes the file in B.
  ASSERT_EQ(unlink(a.Path("hello.txt").c_str()), 0);
  ASSERT_TRUE(Eventually([&] { return !Exists(b.Path("hello.txt")); })) << b.LogText();
  // Both stores hold the same documents.
  ASSERT_TRUE(Eventually([&] { return a.Export().size() == b.Export().size(); }));
  // What the reference client pushes shows up in the mount, live.
  TempDir dir;
  WriteFile(dir.File("fern.json"), RunRefclient({"keygen", "fern"}).out);
  auto signed_doc = RunRefclient({"sign", "--keypair", dir.File("fern.json"), "--workspace", MountedEsfs::kWorkspace,
                                  "--path", "/from/reference.txt", "--content", "hello from the reference"});
  ASSERT_EQ(signed_doc.exit_code, 0) << signed_doc.err;
  WriteFile(dir.File("doc.json"), "[" + signed_doc.out + "]");
  auto pushed = RunRefclient({"push", pub.url(), MountedEsfs::kWorkspace, dir.File("doc.json")});
  ASSERT_EQ(pushed.exit_code, 0) << pushed.err;
  ASSERT_TRUE(Eventually([&] { return ReadFile(b.Path("from/reference.txt")) == "hello from the reference"; }))
      << b.LogText();
  auto status = b.Esfs({"status", "--json"});
  ASSERT_EQ(status.exit_code, 0);
  auto json = core::OrderedJson::parse(status.out);
  EXPECT_GT(json[0]["pubs"][0]["last_success_us"].get<int64_t>(), 0);
  EXPECT_TRUE(json[0]["pubs"][0]["last_error"].is_null()) << status.out;
}

// Issue #18: a peer's save that arrives through a pub (not an import)
// replaces yours: your content is kept as a local version in the history
// folder and cp restores it; esfs status counts a conflict and the log
// names the path and both authors. No conflict-copy file appears.
TEST(SyncMounts, APeersSaveThroughThePubKeepsYoursAsAVersionAndCountsAConflict) {
  ReferencePub pub;
  ASSERT_TRUE(pub.ready());
  MountedEsfs a("suzy", pub.url());
  MountedEsfs b("matt", pub.url());
  ASSERT_TRUE(a.mounted() && b.mounted());
  WriteFile(a.Path("plan.txt"), "suzy's plan\n");
  ASSERT_TRUE(Eventually([&] { return ReadFile(b.Path("plan.txt")) == "suzy's plan\n"; })) << b.LogText();
  WriteFile(b.Path("plan.txt"), "matt's plan\n");
  ASSERT_TRUE(Eventually([&] { return ReadFile(a.Path("plan.txt")) == "matt's plan\n"; })) << a.LogText();

  // Suzy's content is a local version of plan.txt in A's history folder.
  const std::string history = a.Path(".esfs-history/plan.txt");
  std::vector<std::string> kept;
  for (const auto& name : ListDir(history)) {
    if (!name.empty() && name[0] != '@') kept.push_back(name);
  }
  ASSERT_EQ(kept.size(), 1u) << "history holds: " << ::testing::PrintToString(ListDir(history));
  EXPECT_EQ(ReadFile(history + "/" + kept[0]), "suzy's plan\n");

  // Counted and logged in A, with both authors.
  auto status = a.Esfs({"status", "--json"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  auto json = core::OrderedJson::parse(status.out, nullptr, false);
  ASSERT_FALSE(json.is_discarded()) << status.out;
  EXPECT_EQ(json[0]["conflicts"], 1) << status.out;
  const std::string log = a.LogText();
  const size_t line = log.find("conflict ");
  ASSERT_NE(line, std::string::npos) << log;
  const std::string conflict = log.substr(line, log.find('\n', line) - line);
  EXPECT_NE(conflict.find("/plan.txt"), std::string::npos) << conflict;
  EXPECT_NE(conflict.find(b.address()), std::string::npos) << conflict;
  EXPECT_NE(conflict.find(a.address()), std::string::npos) << conflict;
  EXPECT_EQ(ListDir(a.Path()), (std::set<std::string>{"plan.txt"})) << "no conflict copies";

  // cp restores it, and the restored save travels back to B.
  auto cp = RunProgram({"cp", history + "/" + kept[0], a.Path("plan.txt")});
  ASSERT_EQ(cp.exit_code, 0) << cp.err;
  EXPECT_EQ(ReadFile(a.Path("plan.txt")), "suzy's plan\n");
  EXPECT_TRUE(Eventually([&] { return ReadFile(b.Path("plan.txt")) == "suzy's plan\n"; })) << b.LogText();
}

std::set<std::string> Paths(const core::OrderedJson& docs) {
  std::set<std::string> paths;
  for (const auto& d : docs) paths.insert(d["path"].get<std::string>());
  return paths;
}

// Offline-first (issue 7): with the pub gone, saves in both mounts work at
// once; a pub that comes back on the same port having lost everything
// (memory storage) gets every document again from the mounts, and the two
// mounts converge, nothing lost.
TEST(SyncMounts, OfflineEditsInBothMountsConvergeWhenAnEmptyPubReturns) {
  auto pub = std::make_unique<ReferencePub>();
  ASSERT_TRUE(pub->ready());
  const int port = pub->port();
  MountedEsfs a("suzy", pub->url());
  MountedEsfs b("matt", pub->url());
  ASSERT_TRUE(a.mounted() && b.mounted());
  WriteFile(a.Path("before.txt"), "synced before the outage");
  ASSERT_TRUE(Eventually([&] { return ReadFile(b.Path("before.txt")) == "synced before the outage"; })) << b.LogText();
  pub->Stop();
  // Saves never wait on the network.
  const auto t0 = std::chrono::steady_clock::now();
  WriteFile(a.Path("offline-a.txt"), "written offline in a");
  ASSERT_EQ(mkdir(b.Path("notes").c_str(), 0755), 0);
  WriteFile(b.Path("notes/offline-b.txt"), "written offline in b");
  WriteFile(a.Path("both.md"), "a's offline version");
  WriteFile(b.Path("both.md"), "b's offline version");
  ASSERT_EQ(unlink(b.Path("before.txt").c_str()), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
  EXPECT_EQ(ReadFile(a.Path("offline-a.txt")), "written offline in a");
  // Both notice the outage.
  for (const MountedEsfs* m : {&a, &b}) {
    ASSERT_TRUE(Eventually([&] {
      auto json = core::OrderedJson::parse(m->Esfs({"status", "--json"}).out, nullptr, false);
      return !json.is_discarded() && json[0]["pubs"][0]["last_error"].is_string();
    })) << m->LogText();
  }
  pub = std::make_unique<ReferencePub>("", port);
  ASSERT_TRUE(pub->ready());
  // Backoff may wait up to ~12 s before the next try.
  ASSERT_TRUE(Eventually(
      [&] {
        return ReadFile(b.Path("offline-a.txt")) == "written offline in a" &&
               ReadFile(a.Path("notes/offline-b.txt")) == "written offline in b" && !Exists(a.Path("before.txt")) &&
               ReadFile(a.Path("both.md")) == ReadFile(b.Path("both.md"));
      },
      60))
      << a.LogText() << b.LogText();
  const std::string winner = ReadFile(a.Path("both.md"));
  EXPECT_TRUE(winner == "a's offline version" || winner == "b's offline version") << winner;
  // Nothing lost: both stores and the new pub hold every document, the
  // other version of both.md kept as history.
  ASSERT_TRUE(Eventually([&] { return a.Export().size() == 6 && b.Export().size() == 6; }, 30))
      << a.Export().dump() << b.Export().dump();
  const std::set<std::string> expected = {"/before.txt", "/both.md", "/notes/offline-b.txt", "/offline-a.txt"};
  EXPECT_EQ(Paths(a.Export()), expected);
  TempDir dir;
  ASSERT_TRUE(Eventually(
      [&] {
        auto pulled = RunRefclient({"pull", pub->url(), MountedEsfs::kWorkspace, "--out", dir.File("pulled.json")});
        return pulled.exit_code == 0 && core::OrderedJson::parse(ReadFile(dir.File("pulled.json"))).size() == 6;
      },
      30));
  EXPECT_EQ(Paths(core::OrderedJson::parse(ReadFile(dir.File("pulled.json")))), expected);
  for (const MountedEsfs* m : {&a, &b}) {
    ASSERT_TRUE(Eventually([&] {
      auto json = core::OrderedJson::parse(m->Esfs({"status", "--json"}).out, nullptr, false);
      return !json.is_discarded() && json[0]["pubs"][0]["last_error"].is_null() &&
             json[0]["pubs"][0]["pending_pushes"] == 0;
    })) << m->Esfs({"status", "--json"}).out;
  }
}

}  // namespace
}  // namespace esfs::testing
