// A folder rename on a real mount is one store transaction (issue #16
// item 4): every moved document and every tombstone in one commit, read
// back from the store by this process while the daemon runs.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>

#include <gtest/gtest.h>

#include "core/store.h"
#include "keys/identity.h"
#include "tests/support/mount_fixture.h"

namespace esfs::testing {
namespace {

TEST(MountFolderRename, AFolderOfThreeHundredPublishedFilesMovesInOneCommit) {
  MountedEsfs m;
  ASSERT_TRUE(m.mounted()) << m.LogText();
  auto store = core::Store::Open({m.data_dir()});
  ASSERT_TRUE(store.ok()) << store.status().message();
  const keys::Identity peer = MakeIdentity("peer", 5);
  // ESFS_RENAME_FILES=3000 measures the benchmark's size (the time is printed).
  const char* files_env = getenv("ESFS_RENAME_FILES");
  const int kFiles = files_env ? std::max(8, atoi(files_env)) : 300;
  std::vector<core::SetRequest> files;
  for (int i = 0; i < kFiles; ++i) {
    files.push_back({MountedEsfs::kWorkspace, "/big/sub" + std::to_string(i % 4) + "/f" + std::to_string(i) + ".txt",
                     "file " + std::to_string(i), std::nullopt});
  }
  ASSERT_TRUE((*store)->replica().SetMany(peer, files).ok());
  struct stat st;
  const std::string last = "big/sub" + std::to_string((kFiles - 1) % 4) + "/f" + std::to_string(kFiles - 1) + ".txt";
  ASSERT_TRUE(Eventually([&] { return stat(m.Path(last).c_str(), &st) == 0; }))
      << "the documents never showed up in the mount";
  const uint64_t before = (*store)->CommitCount();
  const auto start = std::chrono::steady_clock::now();
  ASSERT_EQ(rename(m.Path("big").c_str(), m.Path("moved").c_str()), 0) << strerror(errno) << "\n" << m.LogText();
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ((*store)->CommitCount(), before + 1) << "one commit for " << 2 * kFiles << " documents";
  std::cout << "rename of a folder of " << kFiles
            << " files: " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms" << std::endl;
  for (int i = 0; i < kFiles; ++i) {
    const std::string rest = "/sub" + std::to_string(i % 4) + "/f" + std::to_string(i) + ".txt";
    auto moved = (*store)->replica().Winner(MountedEsfs::kWorkspace, "/moved" + rest);
    ASSERT_TRUE(moved.ok() && moved->has_value()) << rest;
    EXPECT_EQ((*moved)->content, "file " + std::to_string(i));
    EXPECT_EQ((*moved)->author, m.address());
    auto old = (*store)->replica().Winner(MountedEsfs::kWorkspace, "/big" + rest);
    ASSERT_TRUE(old.ok() && old->has_value()) << rest;
    EXPECT_TRUE((*old)->IsTombstone()) << rest;
  }
  EXPECT_EQ(ReadFile(m.Path("moved/sub2/f10.txt")), "file 10");
  EXPECT_EQ(stat(m.Path("big").c_str(), &st), -1);
  EXPECT_EQ(ListDir(m.Path("moved")), (std::set<std::string>{"sub0", "sub1", "sub2", "sub3"}));
}

}  // namespace
}  // namespace esfs::testing
