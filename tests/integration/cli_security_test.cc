// Issue #15 items 3, 7 and 8 through the real esfs binary: key-file input
// never printed, text from outside never printed raw, and commands that
// would lose data refuse instead.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/support/mount_fixture.h"
#include "tests/support/test_support.h"

namespace esfs::testing {
namespace {

constexpr const char* kWs = "+gardening.friends";

// True if |text| holds any 8-character piece of |secret|.
bool HoldsPieceOf(const std::string& text, const std::string& secret) {
  for (size_t i = 0; i + 8 <= secret.size(); ++i) {
    if (text.find(secret.substr(i, 8)) != std::string::npos) return true;
  }
  return false;
}

bool HasControlByte(const std::string& text) {
  for (unsigned char c : text) {
    if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) return true;
  }
  return false;
}

// A store with workspace kWs and, in |key|, a valid identity.
struct CliStore {
  TempDir dir;
  std::string data = dir.File("data");
  std::string key = dir.File("id.json");
  keys::Identity identity = MakeIdentity("suzy", 7);
  CliStore() {
    EXPECT_TRUE(keys::SaveIdentity(identity, key, true).ok());
    EXPECT_EQ(Run({"workspace", "add", kWs}).exit_code, 0);
  }
  RunResult Run(std::vector<std::string> args, const std::string& input = "", int timeout_s = 60,
                const std::string& key_file = "") const {
    args.insert(args.begin(), {EsfsBinary(), "--data", data, "--key", key_file.empty() ? key : key_file});
    return RunProgram(args, input, timeout_s);
  }
};

TEST(CliSecurity, MalformedKeyFilesNeverShowTheSecret) {
  CliStore s;
  const std::string secret = s.identity.EncodedSecret();
  const std::string address = s.identity.address();
  std::string upper = secret;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  std::string with_control = secret;
  with_control.insert(20, "\x1b");
  std::string with_digit = secret;
  with_digit[30] = '1';
  const std::string json_head = "{\"address\": \"" + address + "\", \"secret\": \"";
  const std::vector<std::string> files = {
      json_head + upper + "\"}",
      json_head + with_control + "\"}",
      json_head + with_digit + "\"}",
      json_head + secret.substr(0, 40),   // truncated JSON
      "{\"secret\": \"" + secret + "\"",  // truncated, address missing
      "{\"address\": \"" + secret + "\", \"secret\": \"" + secret + "\"}",
  };
  for (size_t i = 0; i < files.size(); ++i) {
    const std::string key = s.dir.File("bad" + std::to_string(i) + ".json");
    WriteFile(key, files[i]);
    chmod(key.c_str(), 0600);
    auto put = s.Run({"put", kWs, "/a.txt"}, "hello", 60, key);
    EXPECT_EQ(put.exit_code, 1) << i;
    EXPECT_FALSE(HoldsPieceOf(put.out + put.err, secret)) << i << ": " << put.err;
    EXPECT_NE(put.err.find("key file"), std::string::npos) << put.err;
    TempDir mnt;
    auto mount = s.Run({"mount", "-f", mnt.path()}, "", 30, key);
    EXPECT_NE(mount.exit_code, 0) << i;
    EXPECT_NE(mount.exit_code, -1) << i << " (the daemon mounted with a bad key)";
    const std::string log = ReadFile(s.data + "/esfs.log");
    EXPECT_FALSE(HoldsPieceOf(mount.out + mount.err + log, secret)) << i << ": " << mount.err << log;
  }
}

TEST(CliSecurity, KeyFileThatIsAFifoOrAFolderIsRefusedWithoutBlocking) {
  CliStore s;
  const std::string fifo = s.dir.File("fifo.json");
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  const auto start = std::chrono::steady_clock::now();
  auto put = s.Run({"put", kWs, "/a.txt"}, "hello", 10, fifo);  // no writer ever opens it
  EXPECT_EQ(put.exit_code, 1) << "blocked on the FIFO (killed after 10 s)";
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_NE(put.err.find("not a regular file"), std::string::npos) << put.err;
  auto folder = s.Run({"put", kWs, "/a.txt"}, "hello", 10, s.dir.path());
  EXPECT_EQ(folder.exit_code, 1) << folder.err;
  const std::string link = s.dir.File("link.json");
  ASSERT_EQ(symlink(s.key.c_str(), link.c_str()), 0);
  auto linked = s.Run({"put", kWs, "/a.txt"}, "hello", 10, link);
  EXPECT_EQ(linked.exit_code, 1) << linked.err;
  EXPECT_NE(linked.err.find("symbolic link"), std::string::npos) << linked.err;
}

TEST(CliSecurity, PutRefusesEmptyInputAndNeedsDeleteForATombstone) {
  CliStore s;
  ASSERT_EQ(s.Run({"put", kWs, "/a.txt"}, "hello").exit_code, 0);
  auto empty = s.Run({"put", kWs, "/a.txt"}, "");
  EXPECT_EQ(empty.exit_code, 1) << empty.err;
  EXPECT_NE(empty.err.find("--delete"), std::string::npos) << empty.err;
  EXPECT_EQ(s.Run({"get", kWs, "/a.txt"}).out, "hello");
  auto both = s.Run({"put", kWs, "/a.txt", "--delete"}, "text");
  EXPECT_EQ(both.exit_code, 2) << both.err;
  EXPECT_EQ(s.Run({"get", kWs, "/a.txt"}).out, "hello");
  auto del = s.Run({"put", kWs, "/a.txt", "--delete"}, "");
  EXPECT_EQ(del.exit_code, 0) << del.err;
  EXPECT_NE(del.err.find("deleted"), std::string::npos) << del.err;
  EXPECT_EQ(s.Run({"get", kWs, "/a.txt"}).exit_code, 1);
}

TEST(CliSecurity, TextFromOutsideIsNeverPrintedRaw) {
  CliStore s;
  const std::string hostile = "http://127.0.0.1:1/\x1b[2J\nFAKE: all synced\x1b]0;t\x07";
  ASSERT_EQ(s.Run({"workspace", "add", kWs, "--pub", hostile}).exit_code, 0);
  // A failing pass records the pub's last error the way the syncer does.
  auto sync = s.Run({"sync", "--once"}, "", 60);
  EXPECT_EQ(sync.exit_code, 1) << sync.err;
  EXPECT_FALSE(HasControlByte(sync.out + sync.err)) << sync.err;
  for (auto args : std::vector<std::vector<std::string>>{
           {"workspace", "list"}, {"workspace", "list", "--json"}, {"status"}, {"status", "--json"}}) {
    auto r = s.Run(args);
    EXPECT_EQ(r.exit_code, 0) << args[0];
    EXPECT_FALSE(HasControlByte(r.out + r.err)) << args[0] << ": " << r.out;
    EXPECT_EQ(r.out.find("\nFAKE"), std::string::npos) << args[0] << ": " << r.out;
  }
  auto get = s.Run({"get", kWs, "/a\x1b[2J\nb"});
  EXPECT_EQ(get.exit_code, 1);
  EXPECT_FALSE(HasControlByte(get.err)) << get.err;
  EXPECT_EQ(std::count(get.err.begin(), get.err.end(), '\n'), 1) << get.err;
  auto put = s.Run({"put", "+bad\x1b[2J.ws", "/a\x1b[2J.txt"}, "x");
  EXPECT_NE(put.exit_code, 0);
  EXPECT_FALSE(HasControlByte(put.err)) << put.err;
  auto ws = s.Run({"workspace", "add", "+bad\x1b[2J\n.ws"});
  EXPECT_NE(ws.exit_code, 0);
  EXPECT_FALSE(HasControlByte(ws.err)) << ws.err;
  EXPECT_EQ(std::count(ws.err.begin(), ws.err.end(), '\n'), 1) << ws.err;
}

TEST(CliSecurity, StatusReportsARemovedStoreInsteadOfCreatingOne) {
  CliStore s;
  ASSERT_EQ(s.Run({"put", kWs, "/a.txt"}, "hello").exit_code, 0);
  std::filesystem::remove_all(s.data);
  auto status = s.Run({"status"});
  EXPECT_EQ(status.exit_code, 1) << status.out;
  EXPECT_NE(status.err.find("no store"), std::string::npos) << status.err;
  EXPECT_FALSE(std::filesystem::exists(s.data)) << "status created a new, empty store";
}

TEST(CliSecurity, MountRefusesAMountedFolderAndANonEmptyFolder) {
  MountedEsfs m;
  ASSERT_TRUE(m.mounted());
  const auto start = std::chrono::steady_clock::now();
  auto again = m.Esfs({"mount", "-f", m.mountpoint()});
  EXPECT_EQ(again.exit_code, 1) << again.err;
  EXPECT_NE(again.err.find("already"), std::string::npos) << again.err;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
  TempDir full;
  WriteFile(full.File("keep.txt"), "mine");
  auto nonempty = m.Esfs({"mount", "-f", full.path()});
  EXPECT_EQ(nonempty.exit_code, 1) << nonempty.err;
  EXPECT_NE(nonempty.err.find("not empty"), std::string::npos) << nonempty.err;
  EXPECT_EQ(ReadFile(full.File("keep.txt")), "mine");
}

// Writes |text| to a new file and closes it; 0 or the errno of the first
// failing step (the save happens at close).
int WriteAndClose(const std::string& file, const std::string& text) {
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return errno;
  int err = 0;
  if (::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) err = errno;
  if (::close(fd) != 0 && err == 0) err = errno;
  return err;
}

TEST(CliSecurity, SavesFailLoudlyAfterTheDataFolderIsRemoved) {
  MountedEsfs m;
  ASSERT_TRUE(m.mounted());
  ASSERT_EQ(WriteAndClose(m.Path("before.txt"), "kept"), 0);
  std::filesystem::remove_all(m.data_dir());
  EXPECT_EQ(WriteAndClose(m.Path("after.txt"), "would vanish"), EIO);
  EXPECT_TRUE(Eventually([&] { return m.LogText().find("was removed") != std::string::npos; }, 10)) << m.LogText();
  EXPECT_NE(m.LogText().find("after.txt"), std::string::npos) << m.LogText();
  auto status = m.Esfs({"status"});
  EXPECT_EQ(status.exit_code, 1) << status.out;
  EXPECT_NE(status.err.find("no store"), std::string::npos) << status.err;
}

// The pid of the process whose command line ends with |last_arg|; -1 if none.
pid_t FindProcess(const std::string& last_arg) {
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string cmdline = ReadFile(entry.path().string() + "/cmdline");
    if (!cmdline.empty() && cmdline.back() == '\0') cmdline.pop_back();
    const size_t last = cmdline.rfind('\0');
    if (last != std::string::npos && cmdline.substr(last + 1) == last_arg) return std::stoi(name);
  }
  return -1;
}

// PR_SET_DUMPABLE 0 is what stops a process of the same uid without
// CAP_SYS_PTRACE from reading /proc/PID/exe. Daemon and reader both run
// as root with CAP_SYS_PTRACE dropped (setpriv), so that the only check
// that can refuse the reader is the daemon's dumpable flag.
TEST(CliSecurity, MountDaemonIsNotDumpable) {
  CliStore s;
  TempDir mnt;
  const std::vector<std::string> no_ptrace = {"setpriv", "--bounding-set", "-sys_ptrace"};
  std::vector<std::string> mount = no_ptrace;
  for (const auto& a :
       {EsfsBinary(), std::string("--data"), s.data, std::string("--key"), s.key, std::string("mount"), mnt.path()}) {
    mount.push_back(a);
  }
  auto started = RunProgram(mount, "", 30);
  ASSERT_EQ(started.exit_code, 0) << started.err;
  const pid_t daemon = FindProcess(mnt.path());
  EXPECT_GT(daemon, 0);
  if (daemon > 0) {
    std::vector<std::string> peek = no_ptrace;
    peek.insert(peek.end(), {"readlink", "-v", "/proc/" + std::to_string(daemon) + "/exe"});
    auto read = RunProgram(peek, "", 30);
    EXPECT_NE(read.exit_code, 0) << "the daemon is dumpable: " << read.out;
    EXPECT_NE(read.err.find("Permission denied"), std::string::npos) << read.err;
  }
  EXPECT_EQ(s.Run({"umount", mnt.path()}).exit_code, 0);
  EXPECT_TRUE(Eventually([&] { return FindProcess(mnt.path()) < 0; }, 20));
}

}  // namespace
}  // namespace esfs::testing
