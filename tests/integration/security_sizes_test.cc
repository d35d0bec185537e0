// Issue #15 item 5, huge sizes: a truncate or a write past what a file can
// hold fails with EFBIG before the daemon allocates anything, the file keeps
// what it had, nothing partial is published and the mount stays responsive
// with bounded memory (docs/mount.md, "File sizes").
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "tests/support/mount_fixture.h"

namespace esfs::testing {
namespace {

constexpr off_t kTerabyte = off_t{1} << 40;
constexpr off_t kTextLimit = 4'000'000;    // es.4 content limit
constexpr off_t kBinaryLimit = 3'000'000;  // base64 of it is 4,000,000
constexpr off_t kLocalLimit = off_t{64} << 20;
// Far below any size the refused requests would have allocated (a
// terabyte). Under AddressSanitizer freed blocks stay in its quarantine
// (up to 256 MB) instead of going back, so the same daemon peaks higher:
// 109 MB in ci7's ASan pass for what stays under 100 MB in release.
#ifdef __SANITIZE_ADDRESS__
constexpr long kMaxRssKib = 200 * 1024;
#else
constexpr long kMaxRssKib = 100 * 1024;
#endif

// The daemon's peak resident memory (VmHWM) in KiB, -1 if unreadable: a
// buffer allocated and freed again still shows.
long PeakRssKib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

// 0 or the errno of truncate(2).
int Truncate(const std::string& path, off_t size) { return truncate(path.c_str(), size) == 0 ? 0 : errno; }

// Compares without printing megabytes of content on a failure.
void ExpectContent(const std::string& path, const std::string& want) {
  const std::string got = ReadFile(path);
  EXPECT_TRUE(got == want) << path << ": " << got.size() << " bytes, want " << want.size() << " bytes: " << want;
}

std::string Stored(const MountedEsfs& m, const std::string& path) {
  return m.Esfs({"get", MountedEsfs::kWorkspace, path}).out;
}

// ls answers at once (the refused requests held no lock for long).
void ExpectListingAnswers(const MountedEsfs& m, const std::string& name) {
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(ListDir(m.Path()).count(name), 1u);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
}

TEST(SecuritySizes, TruncatePastTheLimitIsRefusedAndAllocatesNothing) {
  MountedEsfs m;
  ASSERT_TRUE(m.mounted()) << m.LogText();
  WriteFile(m.Path("notes.txt"), "hello");
  WriteFile(m.Path("pic.png"), "png bytes");
  WriteFile(m.Path("scratch~"), "local only");
  EXPECT_EQ(Truncate(m.Path("notes.txt"), kTerabyte), EFBIG);
  EXPECT_EQ(Truncate(m.Path("notes.txt"), kTextLimit + 1), EFBIG);
  EXPECT_EQ(Truncate(m.Path("pic.png"), kBinaryLimit + 1), EFBIG);
  EXPECT_EQ(Truncate(m.Path("scratch~"), kLocalLimit + 1), EFBIG);
  EXPECT_EQ(Truncate(m.Path("scratch~"), kTerabyte), EFBIG);
  EXPECT_EQ(Truncate(m.Path("scratch~"), off_t{512} << 20), EFBIG);
  // Also through an open file (ftruncate with a writer open).
  const int fd = open(m.Path("notes.txt").c_str(), O_WRONLY);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(ftruncate(fd, kTerabyte), -1);
  EXPECT_EQ(errno, EFBIG);
  EXPECT_EQ(close(fd), 0);
  ExpectContent(m.Path("notes.txt"), "hello");
  ExpectContent(m.Path("pic.png"), "png bytes");
  ExpectContent(m.Path("scratch~"), "local only");
  EXPECT_TRUE(Stored(m, "/notes.txt") == "hello");
  const long rss = PeakRssKib(m.pid());
  EXPECT_GT(rss, 0);
  EXPECT_LT(rss, kMaxRssKib) << "peak KiB";
  ExpectListingAnswers(m, "notes.txt");
  // The log names the file.
  EXPECT_NE(m.LogText().find("notes.txt"), std::string::npos);
  // Up to the limit is fine.
  EXPECT_EQ(Truncate(m.Path("pic.png"), kBinaryLimit), 0);
  struct stat st;
  ASSERT_EQ(stat(m.Path("pic.png").c_str(), &st), 0);
  EXPECT_EQ(st.st_size, kBinaryLimit);
}

TEST(SecuritySizes, WritePastTheLimitIsRefusedAndNothingPartialIsStored) {
  MountedEsfs m;
  ASSERT_TRUE(m.mounted()) << m.LogText();
  WriteFile(m.Path("big.txt"), "start");
  int fd = open(m.Path("big.txt").c_str(), O_WRONLY);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(pwrite(fd, "x", 1, kTerabyte), -1);
  EXPECT_EQ(errno, EFBIG);
  EXPECT_EQ(pwrite(fd, "0123456789", 10, kTextLimit - 5), -1);
  EXPECT_EQ(errno, EFBIG);
  EXPECT_EQ(close(fd), 0);  // nothing was written: nothing to save
  EXPECT_TRUE(Stored(m, "/big.txt") == "start");

  // cp of a file that is too large: the writes up to the limit succeed,
  // the one that crosses it fails, and the close publishes nothing.
  fd = open(m.Path("big.txt").c_str(), O_WRONLY | O_TRUNC);
  ASSERT_GE(fd, 0);
  const std::string chunk(1 << 20, 'a');
  off_t written = 0;
  int error = 0;
  while (written < 2 * kTextLimit) {
    const ssize_t n = write(fd, chunk.data(), chunk.size());
    if (n < 0) {
      error = errno;
      break;
    }
    written += n;
  }
  EXPECT_EQ(error, EFBIG);
  EXPECT_LE(written, kTextLimit);
  EXPECT_NE(close(fd), 0);
  EXPECT_TRUE(Stored(m, "/big.txt") == "start");
  ExpectContent(m.Path("big.txt"), "start");
  EXPECT_NE(m.LogText().find("big.txt"), std::string::npos);
  const long rss = PeakRssKib(m.pid());
  EXPECT_GT(rss, 0);
  EXPECT_LT(rss, kMaxRssKib) << "peak KiB";
  ExpectListingAnswers(m, "big.txt");
}

// A local-only file that grew past the limit outside the mount (here a
// sparse terabyte in the local area) is not read into memory.
TEST(SecuritySizes, OversizedLocalFileIsNotReadIntoMemory) {
  MountedEsfs m;
  ASSERT_TRUE(m.mounted()) << m.LogText();
  WriteFile(m.Path("huge~"), "small at first");
  const std::string local = m.data_dir() + "/local/" + MountedEsfs::kWorkspace + "/huge~";
  ASSERT_EQ(Truncate(local, kTerabyte), 0) << local;
  errno = 0;
  const int fd = open(m.Path("huge~").c_str(), O_RDONLY);
  EXPECT_EQ(fd, -1);
  EXPECT_EQ(errno, EFBIG);
  if (fd >= 0) close(fd);
  const long rss = PeakRssKib(m.pid());
  EXPECT_GT(rss, 0);
  EXPECT_LT(rss, kMaxRssKib) << "peak KiB";
  ExpectListingAnswers(m, "huge~");
}

}  // namespace
}  // namespace esfs::testing
