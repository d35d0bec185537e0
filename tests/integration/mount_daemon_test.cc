// Running the daemon: in the background with esfs umount, signals, -o
// options passed to libfuse, and the single-workspace mount.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "tests/support/mount_fixture.h"

namespace esfs::testing {
namespace {

// Detaches |mountpoint| whatever happens in the test.
struct LazyUnmountGuard {
  std::string mountpoint;
  ~LazyUnmountGuard() {
    if (!MountLine(mountpoint).empty()) RunProgram({"fusermount3", "-uz", mountpoint}, "", 30);
  }
};

// A data folder with an identity and one workspace, and an empty mount
// point that is detached whatever happens in the test.
class BackgroundMount : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(mkdir(mnt.c_str(), 0755), 0);
    ASSERT_EQ(esfs({"keygen", "suzy"}).exit_code, 0);
    ASSERT_EQ(esfs({"workspace", "add", "+gardening.friends"}).exit_code, 0);
  }
  // Runs esfs with this test's --data and --key.
  RunResult esfs(std::vector<std::string> args) const {
    args.insert(args.begin(), {EsfsBinary(), "--data", data, "--key", key});
    return RunProgram(args, "", 60);
  }

  TempDir dir;
  const std::string data = dir.File("data"), key = dir.File("id.json"), mnt = dir.File("mnt");
  LazyUnmountGuard guard{mnt};
};

TEST_F(BackgroundMount, RunsInTheBackgroundLogsToTheDataFolderAndStopsOnUmount) {
  auto mount = esfs({"mount", mnt});
  ASSERT_EQ(mount.exit_code, 0) << mount.err;
  EXPECT_NE(mount.err.find("mounted at " + mnt), std::string::npos) << mount.err;
  EXPECT_NE(MountLine(mnt).find("fuse.esfs"), std::string::npos) << MountLine(mnt);
  WriteFile(mnt + "/+gardening.friends/hello.txt", "from the daemon");
  auto umount = esfs({"umount", mnt});
  EXPECT_EQ(umount.exit_code, 0) << umount.err;
  EXPECT_TRUE(Eventually([&] { return MountLine(mnt).empty(); }));
  const std::string log = ReadFile(data + "/esfs.log");
  EXPECT_NE(log.find("mounted all workspaces at " + mnt), std::string::npos) << log;
  EXPECT_TRUE(Eventually([&] { return ReadFile(data + "/esfs.log").find("unmounting") != std::string::npos; }));
  auto get = esfs({"get", "+gardening.friends", "/hello.txt"});
  EXPECT_EQ(get.out, "from the daemon") << get.err;
  // A mount that cannot start says why in the terminal and exits 1.
  auto bad = esfs({"mount", dir.File("missing")});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("is not a folder"), std::string::npos) << bad.err;
}

TEST(MountDaemon, SigtermAndSigintUnmountCleanly) {
  for (int sig : {SIGTERM, SIGINT}) {
    MountedEsfs m;
    ASSERT_TRUE(m.mounted()) << m.LogText();
    WriteFile(m.Path("saved.txt"), "before the signal");
    ASSERT_EQ(kill(m.pid(), sig), 0);
    EXPECT_EQ(m.WaitForExit(20), 0) << strsignal(sig) << "\n" << m.LogText();
    EXPECT_EQ(MountLine(m.mountpoint()), "") << strsignal(sig);
    auto get = m.Esfs({"get", MountedEsfs::kWorkspace, "/saved.txt"});
    EXPECT_EQ(get.out, "before the signal");
  }
}

TEST(MountDaemon, OptionsReachLibfuseAndOneWorkspaceCanBeTheMountPoint) {
  MountedEsfs m;
  ASSERT_EQ(m.Esfs({"put", MountedEsfs::kWorkspace, "/wiki/Bees.md"}, "bees").exit_code, 0);
  m.SetMountArgs({"-o", "allow_other", "--workspace", MountedEsfs::kWorkspace});
  ASSERT_TRUE(m.Remount()) << m.LogText();
  EXPECT_NE(MountLine(m.mountpoint()).find("allow_other"), std::string::npos) << MountLine(m.mountpoint());
  EXPECT_EQ(ReadFile(m.mountpoint() + "/wiki/Bees.md"), "bees");
  // At the root of a one-workspace mount, mkdir makes a folder, not a workspace.
  ASSERT_EQ(mkdir((m.mountpoint() + "/notes").c_str(), 0755), 0);
  WriteFile(m.mountpoint() + "/notes/n.txt", "a note");
  auto get = m.Esfs({"get", MountedEsfs::kWorkspace, "/notes/n.txt"});
  EXPECT_EQ(get.out, "a note");
  // A workspace that is not in the store is refused.
  m.SetMountArgs({"--workspace", "+unknown.ws"});
  EXPECT_FALSE(m.Remount());
}

// ESFS_LOG_MAX_BYTES caps esfs.log: past it the file becomes esfs.log.1
// and a fresh esfs.log goes on (core/log.h).
TEST_F(BackgroundMount, LogIsRotatedAtItsCap) {
  ASSERT_EQ(setenv("ESFS_LOG_MAX_BYTES", "200", 1), 0);
  auto mount = esfs({"mount", mnt});
  unsetenv("ESFS_LOG_MAX_BYTES");
  ASSERT_EQ(mount.exit_code, 0) << mount.err;
  EXPECT_EQ(esfs({"umount", mnt}).exit_code, 0);
  EXPECT_TRUE(Eventually([&] { return ReadFile(data + "/esfs.log").find("unmounting") != std::string::npos; }))
      << ReadFile(data + "/esfs.log");
  EXPECT_NE(ReadFile(data + "/esfs.log.1").find("mounted all workspaces at " + mnt), std::string::npos);
  EXPECT_EQ(ReadFile(data + "/esfs.log").find("mounted all workspaces"), std::string::npos);
}

}  // namespace
}  // namespace esfs::testing
