// Two mounts, two identities, one REAL reference pub: what is saved in one
// mount shows up in the other while both run (live updates).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "tests/support/mount_fixture.h"
#include "tests/support/ref_pub.h"

namespace esfs::testing {
namespace {

// Waits (up to 20 s) until |check| holds.
template <typename F>
bool Eventually(F check) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    if (check()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return check();
}

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
  })) << a.LogText() << b.LogText();
  // A delete in A removes the file in B.
  ASSERT_EQ(unlink(a.Path("hello.txt").c_str()), 0);
  ASSERT_TRUE(Eventually([&] { return !Exists(b.Path("hello.txt")); })) << b.LogText();
  // Both stores hold the same documents.
  ASSERT_TRUE(Eventually([&] { return a.Export().size() == b.Export().size(); }));
  auto status = b.Esfs({"status", "--json"});
  ASSERT_EQ(status.exit_code, 0);
  auto json = core::OrderedJson::parse(status.out);
  EXPECT_GT(json[0]["pubs"][0]["last_success_us"].get<int64_t>(), 0);
  EXPECT_TRUE(json[0]["pubs"][0]["last_error"].is_null()) << status.out;
}

}  // namespace
}  // namespace esfs::testing
