// cmake --install into a temporary prefix, and each installed file checked
// by the program that uses it: the binary runs, man(1) renders the man
// page, bash loads the completion and completes commands and workspace
// names, and systemd-analyze verifies the user units.
#include <sys/stat.h>

#include <gtest/gtest.h>

#include "tests/support/test_support.h"

namespace esfs::testing {
namespace {

bool IsExecutableFile(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111) != 0;
}

class Installed : public ::testing::Test {
 protected:
  void SetUp() override {
    auto install = RunProgram({"cmake", "--install", ESFS_BUILD_DIR, "--prefix", prefix}, "", 120);
    ASSERT_EQ(install.exit_code, 0) << install.out << install.err;
  }
  // Runs a bash snippet that has sourced the installed completion, with
  // the installed esfs first on PATH.
  RunResult Bash(const std::string& script) const {
    const std::string prelude = "export PATH=" + prefix + "/bin:$PATH; source " + prefix +
                                "/share/bash-completion/completions/esfs || exit 9\n"
                                "complete_line() { COMP_WORDS=(\"$@\"); COMP_CWORD=$(($# - 1)); _esfs; "
                                "printf '%s\\n' \"${COMPREPLY[@]}\"; }\n";
    return RunProgram({"bash", "--norc", "--noprofile", "-c", prelude + script}, "", 60);
  }

  TempDir dir;
  const std::string prefix = dir.File("prefix");
};

TEST_F(Installed, TheProgramRuns) {
  const std::string esfs = prefix + "/bin/esfs";
  ASSERT_TRUE(IsExecutableFile(esfs));
  auto version = RunProgram({esfs, "--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_EQ(version.out, "esfs 0.1.0\n");
}

TEST_F(Installed, TheManPageRendersWithoutWarnings) {
  const std::string page = prefix + "/share/man/man1/esfs.1";
  ASSERT_FALSE(ReadFile(page).empty());
  auto man = RunProgram({"env", "MANWIDTH=80", "LC_ALL=C.UTF-8", "man", "--warnings", "-l", page}, "", 60);
  EXPECT_EQ(man.exit_code, 0) << man.err;
  EXPECT_EQ(man.err, "");  // groff's warnings (-ww) come here
  for (const char* heading : {"NAME", "SYNOPSIS", "COMMANDS", "MOUNT OPTIONS", "SYSTEMD", "EXIT STATUS"}) {
    EXPECT_NE(man.out.find(std::string("\n") + heading + "\n"), std::string::npos) << heading;
  }
  EXPECT_NE(man.out.find("esfs - Earthstar workspaces as ordinary folders"), std::string::npos) << man.out;
}

TEST_F(Installed, CompletionCompletesCommandsOptionsAndWorkspaceNames) {
  const std::string data = dir.File("data");
  ASSERT_EQ(RunProgram({EsfsBinary(), "--data", data, "workspace", "add", "+garden.friends"}).exit_code, 0);
  ASSERT_EQ(RunProgram({EsfsBinary(), "--data", data, "workspace", "add", "+gaming.club"}).exit_code, 0);
  auto commands = Bash("complete_line esfs wo; complete_line esfs s");
  EXPECT_EQ(commands.exit_code, 0) << commands.err;
  EXPECT_EQ(commands.out, "workspace\nsign\nsync\nstatus\n");
  auto options = Bash("complete_line esfs mount /tmp --log-");
  EXPECT_EQ(options.out, "--log-file\n--log-level\n") << options.err;
  auto names = Bash("complete_line esfs --data " + data + " get +ga");
  EXPECT_EQ(names.out, "+gaming.club\n+garden.friends\n") << names.err;
  auto after_option = Bash("complete_line esfs --data " + data + " mount /mnt --workspace +gar");
  EXPECT_EQ(after_option.out, "+garden.friends\n") << after_option.err;
  auto edit = Bash("complete_line esfs --data " + data + " workspace edit +gam");
  EXPECT_EQ(edit.out, "+gaming.club\n") << edit.err;
}

TEST_F(Installed, SystemdUserUnitsVerify) {
  const std::string units = prefix + "/lib/systemd/user";
  const std::string mount_unit = ReadFile(units + "/esfs-mount@.service");
  const std::string pub_unit = ReadFile(units + "/esfs-pub.service");
  // They run the installed program, start after the network, restart on
  // failure; the mount unmounts on stop.
  EXPECT_NE(mount_unit.find("ExecStart=" + prefix + "/bin/esfs mount --foreground %h/%I"), std::string::npos);
  EXPECT_NE(mount_unit.find("ExecStop=" + prefix + "/bin/esfs umount %h/%I"), std::string::npos);
  EXPECT_NE(pub_unit.find("ExecStart=" + prefix + "/bin/esfs pub --host"), std::string::npos);
  for (const std::string* unit : {&mount_unit, &pub_unit}) {
    EXPECT_NE(unit->find("After=network-online.target"), std::string::npos);
    EXPECT_NE(unit->find("Restart=on-failure"), std::string::npos);
  }
  // systemd-analyze verify wants an instance for a template, a runtime
  // folder for --user, and finds the Documentation= man page on MANPATH.
  const std::string runtime = dir.File("runtime");
  ASSERT_EQ(mkdir(runtime.c_str(), 0700), 0);
  WriteFile(dir.File("esfs-mount@earthstar.service"), mount_unit);
  auto verify = RunProgram({"env", "XDG_RUNTIME_DIR=" + runtime, "MANPATH=" + prefix + "/share/man:", "systemd-analyze",
                            "verify", "--user", dir.File("esfs-mount@earthstar.service"), units + "/esfs-pub.service"},
                           "", 60);
  EXPECT_EQ(verify.exit_code, 0) << verify.err;
  EXPECT_EQ(verify.err, "");
  // It does find mistakes: a unit whose command is not there fails.
  WriteFile(dir.File("esfs-broken.service"), "[Service]\nExecStart=" + prefix + "/bin/esfs-missing\n");
  auto broken = RunProgram(
      {"env", "XDG_RUNTIME_DIR=" + runtime, "systemd-analyze", "verify", "--user", dir.File("esfs-broken.service")}, "",
      60);
  EXPECT_NE(broken.exit_code, 0);
}

}  // namespace
}  // namespace esfs::testing
