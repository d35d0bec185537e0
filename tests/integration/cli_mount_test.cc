// The mount as a Linux system uses it (issue #21): mount(8) with type
// fuse.esfs and an fstab line, umount(8), -o ro, -o auto_unmount, the
// reasons a daemonized mount fails, esfs umount of a folder that is not
// mounted, --log-level/--log-file, and workspace config changes that reach
// a running mount (remove-pub, --only, mount --workspace).
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/fake_pub.h"
#include "tests/support/mount_fixture.h"

namespace esfs::testing {
namespace {

// mount(8) runs helpers with no PATH of ours (util-linux drops it), so
// mount.fuse3 finds "fuse.TYPE"'s program only in the default PATH: a
// link named for this process in /usr/local/bin, removed on scope exit.
struct ProgramInDefaultPath {
  ProgramInDefaultPath() { link_ok = symlink(EsfsBinary().c_str(), path.c_str()) == 0; }
  ~ProgramInDefaultPath() { unlink(path.c_str()); }
  const std::string name = "esfs-test-" + std::to_string(getpid());
  const std::string path = "/usr/local/bin/" + name;
  bool link_ok = false;
};

class CliMount : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(mkdir(mnt.c_str(), 0755), 0);
    ASSERT_EQ(esfs({"keygen", "suzy"}).exit_code, 0);
    ASSERT_EQ(esfs({"workspace", "add", kWs}).exit_code, 0);
    ASSERT_EQ(esfs({"put", kWs, "/before.txt"}, "stored before").exit_code, 0);
  }
  void TearDown() override {
    if (!MountLine(mnt).empty()) RunProgram({"fusermount3", "-uz", mnt}, "", 30);
  }
  RunResult esfs(std::vector<std::string> args, const std::string& input = "") const {
    args.insert(args.begin(), {EsfsBinary(), "--data", data, "--key", key});
    return RunProgram(args, input, 30);
  }

  static constexpr const char* kWs = "+gardening.friends";
  TempDir dir;
  const std::string data = dir.File("data"), key = dir.File("id.json"), mnt = dir.File("mnt");
};

TEST_F(CliMount, MountTypeFuseEsfsMountsAndUmountUnmounts) {
  ProgramInDefaultPath program;
  ASSERT_TRUE(program.link_ok) << program.path;
  auto mounted = RunProgram({"mount", "-t", "fuse." + program.name, data, mnt, "-o", "key=" + key}, "", 30);
  ASSERT_EQ(mounted.exit_code, 0) << mounted.err;
  EXPECT_NE(MountLine(mnt).find(" fuse.esfs rw,"), std::string::npos) << MountLine(mnt);
  EXPECT_EQ(ReadFile(mnt + "/" + kWs + "/before.txt"), "stored before");
  WriteFile(mnt + "/" + kWs + "/saved.txt", "saved through mount(8)");
  auto unmounted = RunProgram({"umount", mnt}, "", 30);
  EXPECT_EQ(unmounted.exit_code, 0) << unmounted.err;
  EXPECT_EQ(MountLine(mnt), "");
  EXPECT_TRUE(Eventually([&] { return ReadFile(data + "/esfs.log").find("unmounting") != std::string::npos; }));
  EXPECT_EQ(esfs({"get", kWs, "/saved.txt"}).out, "saved through mount(8)");
}

TEST_F(CliMount, AnFstabLineMountsReadOnly) {
  ProgramInDefaultPath program;
  ASSERT_TRUE(program.link_ok);
  WriteFile(dir.File("fstab"),
            data + " " + mnt + " fuse." + program.name + " key=" + key + ",ro,noauto,_netdev,nofail,x-esfs-test 0 0\n");
  auto mounted = RunProgram({"mount", "-T", dir.File("fstab"), mnt}, "", 30);
  ASSERT_EQ(mounted.exit_code, 0) << mounted.err;
  EXPECT_NE(MountLine(mnt).find(" fuse.esfs ro,"), std::string::npos) << MountLine(mnt);
  EXPECT_EQ(ReadFile(mnt + "/" + kWs + "/before.txt"), "stored before");
  // Read-only: every change fails with EROFS.
  errno = 0;
  EXPECT_EQ(open((mnt + "/" + kWs + "/new.txt").c_str(), O_CREAT | O_WRONLY, 0644), -1);
  EXPECT_EQ(errno, EROFS);
  EXPECT_EQ(open((mnt + "/" + kWs + "/before.txt").c_str(), O_WRONLY | O_TRUNC), -1);
  EXPECT_EQ(errno, EROFS);
  EXPECT_EQ(mkdir((mnt + "/" + kWs + "/d").c_str(), 0755), -1);
  EXPECT_EQ(errno, EROFS);
  EXPECT_EQ(RunProgram({"umount", mnt}, "", 30).exit_code, 0);
  EXPECT_EQ(MountLine(mnt), "");
  EXPECT_EQ(esfs({"get", kWs, "/before.txt"}).out, "stored before");
}

TEST_F(CliMount, AutoUnmountReturnsAndUnmounts) {
  // The daemon's start report used to be held open by the fusermount3 that
  // auto_unmount leaves running: esfs mount waited for ever.
  auto mounted = esfs({"mount", mnt, "-o", "auto_unmount"});
  ASSERT_EQ(mounted.exit_code, 0) << "timed out or failed: " << mounted.err;
  EXPECT_NE(MountLine(mnt).find("fuse.esfs"), std::string::npos);
  EXPECT_EQ(ReadFile(mnt + "/" + kWs + "/before.txt"), "stored before");
  EXPECT_EQ(esfs({"umount", mnt}).exit_code, 0);
  EXPECT_TRUE(Eventually([&] { return MountLine(mnt).empty(); }));
}

// The esfs daemon serving |mountpoint| (found by its command line), or -1.
pid_t DaemonOf(const std::string& mountpoint) {
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream cmdline(entry.path() / "cmdline");
    std::string all((std::istreambuf_iterator<char>(cmdline)), std::istreambuf_iterator<char>());
    std::vector<std::string> args;
    for (size_t start = 0; start < all.size();) {
      const size_t end = all.find('\0', start);
      args.push_back(all.substr(start, end - start));
      if (end == std::string::npos) break;
      start = end + 1;
    }
    if (args.empty() || args[0] != EsfsBinary()) continue;
    if (std::find(args.begin(), args.end(), "mount") != args.end() &&
        std::find(args.begin(), args.end(), mountpoint) != args.end()) {
      return static_cast<pid_t>(std::stol(name));
    }
  }
  return -1;
}

// What auto_unmount is for: a daemon that dies (here SIGKILL, as a crash)
// leaves no dead mount behind; libfuse's fusermount3 unmounts it.
TEST_F(CliMount, AutoUnmountUnmountsWhenTheDaemonIsKilled) {
  auto mounted = esfs({"mount", mnt, "-o", "auto_unmount"});
  ASSERT_EQ(mounted.exit_code, 0) << mounted.err;
  ASSERT_NE(MountLine(mnt).find("fuse.esfs"), std::string::npos);
  pid_t daemon = -1;
  ASSERT_TRUE(Eventually([&] { return (daemon = DaemonOf(mnt)) > 0; })) << "no daemon serves " << mnt;
  ASSERT_EQ(kill(daemon, SIGKILL), 0);
  EXPECT_TRUE(Eventually([&] { return MountLine(mnt).empty(); })) << MountLine(mnt);
  // The folder is an ordinary, empty folder again (not ENOTCONN).
  struct stat st;
  EXPECT_EQ(stat(mnt.c_str(), &st), 0) << std::strerror(errno);
  if (!MountLine(mnt).empty()) (void)esfs({"umount", "--lazy", mnt});
}

TEST_F(CliMount, ADaemonThatCannotMountShowsLibfusesReason) {
  auto bad_option = esfs({"mount", mnt, "-o", "no_such_option"});
  EXPECT_EQ(bad_option.exit_code, 1);
  EXPECT_EQ(bad_option.err,
            "esfs mount: could not start a FUSE session: fuse: unknown option(s): `-o no_such_option'\n");
  // An unprivileged user: libfuse or fusermount3 says why (no access to
  // /dev/fuse, or allow_other without user_allow_other), not a guess.
  const std::string home = dir.File("nobody");
  ASSERT_EQ(mkdir(home.c_str(), 0755), 0);
  ASSERT_EQ(mkdir((home + "/mnt").c_str(), 0755), 0);
  ASSERT_EQ(chown(home.c_str(), 65534, 65534), 0);
  ASSERT_EQ(chown((home + "/mnt").c_str(), 65534, 65534), 0);
  ASSERT_EQ(chmod(dir.path().c_str(), 0755), 0);
  ASSERT_EQ(RunProgram({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", EsfsBinary(), "--key",
                        home + "/id.json", "keygen", "nobo"})
                .exit_code,
            0);
  auto as_nobody = RunProgram({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", EsfsBinary(), "--data",
                               home + "/data", "--key", home + "/id.json", "mount", home + "/mnt", "-o", "allow_other"},
                              "", 30);
  if (as_nobody.exit_code == 0) RunProgram({"fusermount3", "-uz", home + "/mnt"}, "", 30);
  EXPECT_EQ(as_nobody.exit_code, 1) << as_nobody.err;
  EXPECT_EQ(as_nobody.err.rfind("esfs mount: could not mount at " + home + "/mnt: fus", 0), 0u) << as_nobody.err;
  EXPECT_EQ(as_nobody.err.find("is /dev/fuse there"), std::string::npos) << as_nobody.err;
  // The reason is in the log as well.
  EXPECT_NE(ReadFile(home + "/data/esfs.log").find("error: could not mount at"), std::string::npos);
}

TEST_F(CliMount, UmountOfAFolderThatIsNotMountedSaysSo) {
  auto r = esfs({"umount", mnt});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "esfs umount: " + mnt + " is not mounted\n");
  auto missing = esfs({"umount", dir.File("nothere")});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(missing.err, "esfs umount: " + dir.File("nothere") + ": no such folder\n");
}

TEST_F(CliMount, LogLevelAndLogFile) {
  const std::string quiet = dir.File("logs/quiet.log"), loud = dir.File("logs/loud.log");
  ASSERT_EQ(mkdir(dir.File("logs").c_str(), 0755), 0);
  ASSERT_EQ(esfs({"mount", mnt, "--log-file", quiet, "--log-level", "warn"}).exit_code, 0);
  ASSERT_EQ(esfs({"umount", mnt}).exit_code, 0);
  ASSERT_TRUE(Eventually([&] { return MountLine(mnt).empty(); }));
  // The same through -o, as an fstab line gives them.
  auto mounted = esfs({"mount", mnt, "-o", "log_file=" + loud + ",log_level=debug"});
  ASSERT_EQ(mounted.exit_code, 0) << mounted.err;
  EXPECT_NE(mounted.err.find("(log: " + loud + ";"), std::string::npos) << mounted.err;
  ASSERT_EQ(esfs({"umount", mnt}).exit_code, 0);
  EXPECT_TRUE(Eventually([&] { return ReadFile(loud).find("unmounting") != std::string::npos; })) << ReadFile(loud);
  EXPECT_NE(ReadFile(loud).find("esfs: debug: libfuse options: fsname=esfs"), std::string::npos);
  EXPECT_NE(ReadFile(loud).find("esfs: mounted all workspaces at " + mnt), std::string::npos);
  struct stat st;
  EXPECT_EQ(stat(quiet.c_str(), &st), 0);
  EXPECT_EQ(ReadFile(quiet).find("mounted all workspaces"), std::string::npos) << ReadFile(quiet);
  EXPECT_EQ(ReadFile(quiet).find("debug:"), std::string::npos);
  EXPECT_NE(stat((data + "/esfs.log").c_str(), &st), 0) << "the default log was written";
}

// What the "mem" fake pub holds of the test workspace (its JSON listing).
std::string PubHolds(const FakePub& pub) {
  return RunProgram({"curl", "-s", pub.Url("mem") + "/earthstar-api/v1/" + MountedEsfs::kWorkspace + "/documents"}, "",
                    30)
      .out;
}

TEST(CliMountSync, RemovePubAndOnlyChangesReachARunningMount) {
  FakePub pub;
  MountedEsfs m("suzy", pub.Url("mem"));
  ASSERT_EQ(m.Esfs({"workspace", "edit", MountedEsfs::kWorkspace, "--only", "/wiki/"}).exit_code, 0);
  ASSERT_TRUE(m.Remount()) << m.LogText();
  ASSERT_EQ(mkdir(m.Path("wiki").c_str(), 0755), 0);
  ASSERT_EQ(mkdir(m.Path("chat").c_str(), 0755), 0);
  WriteFile(m.Path("chat/hello.md"), "not synced yet");
  WriteFile(m.Path("wiki/bees.md"), "synced");
  ASSERT_TRUE(Eventually([&] { return PubHolds(pub).find("/wiki/bees.md") != std::string::npos; })) << m.LogText();
  EXPECT_EQ(PubHolds(pub).find("/chat/hello.md"), std::string::npos);
  // New prefixes, in the running mount: the chat folder travels now.
  ASSERT_EQ(m.Esfs({"workspace", "edit", MountedEsfs::kWorkspace, "--only", "/chat/"}).exit_code, 0);
  ASSERT_TRUE(Eventually([&] { return PubHolds(pub).find("/chat/hello.md") != std::string::npos; })) << m.LogText();
  // The pub taken out: the mount stops syncing with it.
  auto removed = m.Esfs({"workspace", "remove-pub", MountedEsfs::kWorkspace, pub.Url("mem")});
  ASSERT_EQ(removed.exit_code, 0) << removed.err;
  ASSERT_TRUE(Eventually([&] { return m.LogText().find("stopped syncing") != std::string::npos; })) << m.LogText();
  const size_t posts = pub.requests("mem", "POST documents").size();
  WriteFile(m.Path("chat/after.md"), "stays here");
  ASSERT_EQ(m.Esfs({"get", MountedEsfs::kWorkspace, "/chat/after.md"}).out, "stays here");
  EXPECT_EQ(pub.requests("mem", "POST documents").size(), posts);
}

TEST(CliMountSync, AOneWorkspaceMountSyncsOnlyThatWorkspace) {
  FakePub pub;
  MountedEsfs m("suzy", pub.Url("mem"));
  ASSERT_EQ(m.Esfs({"workspace", "add", "+other.place", "--pub", pub.Url("ok")}).exit_code, 0);
  m.SetMountArgs({"--workspace", MountedEsfs::kWorkspace});
  ASSERT_TRUE(m.Remount()) << m.LogText();
  const size_t other_before = pub.requests("ok", "GET documents").size();
  WriteFile(m.mountpoint() + "/only.txt", "this workspace");
  ASSERT_TRUE(Eventually([&] { return PubHolds(pub).find("/only.txt") != std::string::npos; })) << m.LogText();
  EXPECT_EQ(pub.requests("ok", "GET documents").size(), other_before);
  EXPECT_TRUE(pub.requests("ok", "GET stream").empty() || pub.requests("ok", "GET documents").size() == other_before);
  EXPECT_EQ(m.LogText().find("+other.place"), std::string::npos) << m.LogText();
  // The same store mounted whole syncs the other workspace too.
  m.SetMountArgs({});
  ASSERT_TRUE(m.Remount());
  EXPECT_TRUE(Eventually([&] { return pub.requests("ok", "GET documents").size() > other_before; })) << m.LogText();
}

}  // namespace
}  // namespace esfs::testing
