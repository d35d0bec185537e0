// The LMDB store under real processes: SIGKILL in the middle of writes,
// several writers and readers at once, map growth, a really full disk and
// data folders that are not ours. Every test uses real LMDB in a temp folder.
//
// LMDB rule followed throughout: an environment never crosses fork(), and a
// process never has the same store open twice. The parent opens a Store only
// while no child it forked since is alive with a handle *from the parent*
// (children open their own), and closes it before forking again.
//
// Children report through pipes and their exit code; they never use gtest
// and always leave with _exit().
#include <fcntl.h>
#include <gtest/gtest.h>
#include <lmdb.h>
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/store.h"
#include "core/validate.h"
#include "keys/identity.h"
#include "tests/support/test_support.h"

namespace esfs::core {
namespace {

using Clk = std::chrono::steady_clock;
using testing::TempDir;
using testing::WaitForChild;
namespace stdfs = std::filesystem;

constexpr const char* kWs = "+gardening.friends";

// ---------------------------------------------------------------- helpers

// FNV-1a: a hash that is the same in every process (unlike std::hash, which
// is only promised per run).
uint64_t Fnv(std::string_view s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

// Deterministic text for a path, |min|..|max| bytes.
std::string ContentFor(const std::string& path, size_t min, size_t max) {
  uint64_t x = Fnv(path) | 1;
  const size_t size = min + static_cast<size_t>(x % (max - min + 1));
  std::string out;
  out.reserve(size);
  while (out.size() < size) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    out.push_back(out.size() % 64 == 63 ? '\n' : static_cast<char>('a' + x % 26));
  }
  return out;
}

keys::Identity MakeIdentity(const char* shortname, uint8_t seed_byte) {
  std::array<uint8_t, kEd25519SeedBytes> seed;
  for (size_t i = 0; i < seed.size(); ++i) seed[i] = static_cast<uint8_t>(seed_byte + i);
  auto id = keys::Identity::FromSeed(shortname, seed);
  if (!id.ok()) {
    std::fprintf(stderr, "identity %s: %s\n", shortname, id.status().message().c_str());
    std::abort();
  }
  return std::move(id.value());
}

std::string StatusText(const Status& s) {
  return "code " + std::to_string(static_cast<int>(s.code())) + ": " + s.message();
}

// Runs |body| in a forked child and returns its pid; the child leaves with
// _exit(body()) so that nothing of gtest (or stdio buffers) runs twice.
template <typename F>
pid_t Spawn(F&& body) {
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
  pid_t pid = fork();
  if (pid < 0) {
    std::perror("fork");
    std::abort();
  }
  if (pid == 0) {
    int code = 99;
    try {
      code = body();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "child %d: exception: %s\n", getpid(), e.what());
      code = 98;
    } catch (...) {
      code = 97;
    }
    _exit(code);
  }
  return pid;
}

struct ChildExit {
  bool exited = false;
  int code = -1;
  int signal = 0;
  bool timed_out = false;
  bool ok() const { return exited && code == 0; }
  std::string Describe() const {
    if (timed_out) return "timed out (killed)";
    if (exited) return "exited with " + std::to_string(code);
    return "killed by signal " + std::to_string(signal) + " (" + strsignal(signal) + ")";
  }
};

ChildExit Decode(int status) {
  ChildExit e;
  if (WIFEXITED(status)) {
    e.exited = true;
    e.code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    e.signal = WTERMSIG(status);
  }
  return e;
}

// Waits for |pid|; after |timeout_ms| kills it.
ChildExit WaitChild(pid_t pid, int timeout_ms) {
  if (auto status = WaitForChild(pid, std::chrono::milliseconds(timeout_ms))) return Decode(*status);
  kill(pid, SIGKILL);
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) {
    ChildExit e;
    e.code = -errno;
    return e;
  }
  ChildExit e = Decode(status);
  e.timed_out = true;
  return e;
}

struct Pipe {
  int r = -1, w = -1;
  Pipe() {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) std::abort();
    r = fds[0];
    w = fds[1];
  }
  ~Pipe() {
    CloseRead();
    CloseWrite();
  }
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;
  void CloseRead() {
    if (r >= 0) close(r), r = -1;
  }
  void CloseWrite() {
    if (w >= 0) close(w), w = -1;
  }
};

// One write() per line: lines below PIPE_BUF arrive whole or not at all.
bool WriteLine(int fd, const std::string& line) {
  const std::string data = line + "\n";
  while (true) {
    ssize_t n = write(fd, data.data(), data.size());
    if (n == static_cast<ssize_t>(data.size())) return true;
    if (n < 0 && errno == EINTR) continue;
    return false;
  }
}

// Appends what arrives on |fd| within |timeout_ms| (or until EOF) to |buf|.
// Returns false at EOF.
bool ReadFor(int fd, int timeout_ms, std::string* buf) {
  const auto deadline = Clk::now() + std::chrono::milliseconds(timeout_ms);
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clk::now()).count();
    if (left <= 0) return true;
    pollfd p{fd, POLLIN, 0};
    int rc = poll(&p, 1, static_cast<int>(left));
    if (rc < 0 && errno == EINTR) continue;
    if (rc <= 0) return true;
    char chunk[4096];
    ssize_t n = read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    buf->append(chunk, static_cast<size_t>(n));
  }
}

// Everything until EOF (at most |timeout_ms|).
std::string ReadToEof(int fd, int timeout_ms) {
  std::string buf;
  const auto deadline = Clk::now() + std::chrono::milliseconds(timeout_ms);
  while (Clk::now() < deadline) {
    if (!ReadFor(fd, 50, &buf)) break;
  }
  return buf;
}

// Waits for one line on |fd|; empty on EOF or timeout.
std::string ReadLine(int fd, int timeout_ms) {
  std::string line;
  const auto deadline = Clk::now() + std::chrono::milliseconds(timeout_ms);
  while (Clk::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 20) <= 0) continue;
    char c;
    ssize_t n = read(fd, &c, 1);
    if (n <= 0) return "";
    if (c == '\n') return line;
    line.push_back(c);
  }
  return "";
}

// Complete lines of |buf| (a cut-off last line is dropped).
std::vector<std::string> Lines(const std::string& buf) {
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t nl; (nl = buf.find('\n', start)) != std::string::npos; start = nl + 1) {
    lines.push_back(buf.substr(start, nl - start));
  }
  return lines;
}

// True when |fd| (the read end of a "keep going" pipe) reports EOF.
bool Stopped(int fd) {
  pollfd p{fd, POLLIN, 0};
  return poll(&p, 1, 0) > 0;
}

Result<std::unique_ptr<Store>> OpenAt(const std::string& data, size_t map_bytes = size_t{1} << 30) {
  StoreOptions options;
  options.data_dir = data;
  options.initial_map_bytes = map_bytes;
  return Store::Open(options);
}

// Creates the store with the test workspace and closes it again.
void CreateStore(const std::string& data, size_t map_bytes = size_t{1} << 30) {
  auto store = OpenAt(data, map_bytes);
  ASSERT_TRUE(store.ok()) << StatusText(store.status());
  ASSERT_TRUE((*store)->workspaces().Add(kWs).ok());
}

// Raw LMDB with the flags of core/lmdb_txn.cc (MDB_NOTLS, mode 0600).
struct RawEnv {
  MDB_env* env = nullptr;
  int rc = 0;
  explicit RawEnv(const std::string& dir) {
    rc = mdb_env_create(&env);
    if (rc != 0) return;
    mdb_env_set_maxdbs(env, 16);
    mdb_env_set_maxreaders(env, 254);
    mdb_env_set_mapsize(env, size_t{1} << 30);
    rc = mdb_env_open(env, dir.c_str(), MDB_NOTLS, 0600);
  }
  ~RawEnv() {
    if (env != nullptr) mdb_env_close(env);
  }
};

// Writes key=value into the named database |db| of the LMDB env in |dir|.
int RawPut(const std::string& dir, const char* db, std::string_view key, std::string_view value) {
  RawEnv raw(dir);
  if (raw.rc != 0) return raw.rc;
  MDB_txn* txn = nullptr;
  int rc = mdb_txn_begin(raw.env, nullptr, 0, &txn);
  if (rc != 0) return rc;
  MDB_dbi dbi;
  rc = mdb_dbi_open(txn, db, MDB_CREATE, &dbi);
  if (rc == 0) {
    MDB_val k{key.size(), const_cast<char*>(key.data())};
    MDB_val v{value.size(), const_cast<char*>(value.data())};
    rc = mdb_put(txn, dbi, &k, &v, 0);
  }
  if (rc != 0) {
    mdb_txn_abort(txn);
    return rc;
  }
  return mdb_txn_commit(txn);
}

// The checks every test ends with, on a store opened with no recovery step:
// every document validates at the current time, the change feed is strictly
// increasing, LastSeq covers it, and each change names a stored document.
// |validated| (optional) remembers documents already verified, so that
// repeated checks only verify what is new or changed.
using ValidatedDocs = std::map<std::pair<std::string, std::string>, Document>;
void CheckIntegrity(const Store& store, size_t* documents_out = nullptr, ValidatedDocs* validated = nullptr) {
  const int64_t now = SystemClock().NowMicros();
  auto all = store.replica().AllDocuments(kWs);
  ASSERT_TRUE(all.ok()) << StatusText(all.status());
  std::set<std::pair<std::string, std::string>> stored;
  size_t invalid = 0;
  for (const auto& doc : *all) {
    stored.emplace(doc.path, doc.author);
    if (validated != nullptr) {
      auto it = validated->find({doc.path, doc.author});
      if (it != validated->end() && it->second == doc) continue;
    }
    Status valid = ValidateDocument(doc, now);
    if (!valid.ok()) {
      if (++invalid <= 5) ADD_FAILURE() << "stored document " << doc.path << " fails: " << valid.message();
    } else if (validated != nullptr) {
      (*validated)[{doc.path, doc.author}] = doc;
    }
  }
  EXPECT_EQ(invalid, 0u) << "stored documents failing validation";
  auto changes = store.replica().ChangesSince(0);
  ASSERT_TRUE(changes.ok()) << StatusText(changes.status());
  uint64_t prev = 0;
  size_t unknown = 0;
  for (const auto& c : *changes) {
    ASSERT_GT(c.seq, prev) << "change feed is not strictly increasing";
    prev = c.seq;
    EXPECT_EQ(c.workspace, kWs);
    if (!c.removed && !stored.count({c.path, c.author}) && ++unknown <= 5) {
      ADD_FAILURE() << "change " << c.seq << " names " << c.path << " which is not stored";
    }
  }
  // Each path is written once per author here and nothing expires, so
  // there is exactly one change per stored document.
  EXPECT_EQ(changes->size(), all->size());
  auto last = store.replica().LastSeq();
  ASSERT_TRUE(last.ok()) << StatusText(last.status());
  EXPECT_GE(*last, prev);
  if (documents_out != nullptr) *documents_out = all->size();
}

// ------------------------------------------------- 1. SIGKILL durability

constexpr int kBatchSize = 50;
std::string KillPath(int round, int i) { return "/kill/" + std::to_string(round) + "/" + std::to_string(i) + ".txt"; }
std::string BatchPath(int round, int i, int j) {
  return "/kill/" + std::to_string(round) + "/b" + std::to_string(i) + "/" + std::to_string(j) + ".txt";
}
std::string KillContent(const std::string& path) { return ContentFor(path, 1000, 4000); }

// The writer child: Set and IngestBatch in a loop; after each call that
// returned OK, one line to |ack_fd|. Runs until killed (or 10 s).
int KillWriter(const std::string& data, int round, int ack_fd) {
  auto store = OpenAt(data);
  if (!store.ok()) {
    std::fprintf(stderr, "kill writer: open: %s\n", StatusText(store.status()).c_str());
    return 2;
  }
  const keys::Identity id = MakeIdentity("kilr", 7);
  const SystemClock clock;
  if (::write(ack_fd, "R\n", 2) != 2) return 5;  // the store is open
  const auto stop = Clk::now() + std::chrono::seconds(10);
  for (int i = 0; Clk::now() < stop; ++i) {
    if (i % 6 == 5) {
      std::vector<Document> batch(kBatchSize);
      for (int j = 0; j < kBatchSize; ++j) {
        Document& d = batch[j];
        d.workspace = kWs;
        d.path = BatchPath(round, i, j);
        d.content = KillContent(d.path);
        d.timestamp = clock.NowMicros();
        id.Sign(d);
      }
      auto outcomes = (*store)->replica().IngestBatch(kWs, batch);
      if (!outcomes.ok()) {
        std::fprintf(stderr, "kill writer: batch %d: %s\n", i, StatusText(outcomes.status()).c_str());
        return 3;
      }
      for (const auto& o : *outcomes) {
        if (o.result != IngestResult::kAccepted) {
          std::fprintf(stderr, "kill writer: batch %d: %s %s\n", i, IngestResultName(o.result), o.reason.c_str());
          return 4;
        }
      }
      if (!WriteLine(ack_fd, "B " + std::to_string(i))) return 5;
    } else {
      const std::string path = KillPath(round, i);
      auto doc = (*store)->replica().Set(id, kWs, path, KillContent(path));
      if (!doc.ok()) {
        std::fprintf(stderr, "kill writer: set %s: %s\n", path.c_str(), StatusText(doc.status()).c_str());
        return 6;
      }
      if (!WriteLine(ack_fd, "S " + path)) return 5;
    }
  }
  return 0;
}

// Keeps the store open in another process (so that the next opener does not
// get to reset the lock file) and follows the change feed until told to stop.
int Bystander(const std::string& data, int ready_fd, int stop_fd) {
  auto store = OpenAt(data);
  if (!store.ok()) {
    std::fprintf(stderr, "bystander: open: %s\n", StatusText(store.status()).c_str());
    return 2;
  }
  // Woken by writes to the store's file (as the mount's feed follower
  // is) or by the stop pipe; no polling interval.
  const int inotify = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (inotify < 0 || inotify_add_watch(inotify, (data + "/store/data.mdb").c_str(), IN_MODIFY) < 0) {
    std::fprintf(stderr, "bystander: inotify: %s\n", strerror(errno));
    return 5;
  }
  WriteLine(ready_fd, "ready");
  uint64_t last = 0;
  while (true) {
    pollfd p[2] = {{stop_fd, POLLIN, 0}, {inotify, POLLIN, 0}};
    if (poll(p, 2, -1) < 0 && errno != EINTR) return 6;
    if (p[0].revents != 0) break;
    char drain[4096];
    while (read(inotify, drain, sizeof drain) > 0) {
    }
    auto changes = (*store)->replica().ChangesSince(last, 500);
    if (!changes.ok()) {
      std::fprintf(stderr, "bystander: changes: %s\n", StatusText(changes.status()).c_str());
      return 3;
    }
    for (const auto& c : *changes) {
      if (c.seq <= last) {
        std::fprintf(stderr, "bystander: seq %llu after %llu\n", static_cast<unsigned long long>(c.seq),
                     static_cast<unsigned long long>(last));
        return 4;
      }
      last = c.seq;
    }
  }
  close(inotify);
  return 0;
}

TEST(StoreProcess, SigkillDurability) {
  uint64_t seed = std::random_device{}();
  if (const char* s = std::getenv("ESFS_KILL_SEED")) seed = std::strtoull(s, nullptr, 10);
  std::cout << "SIGKILL test seed: " << seed << " (rerun with ESFS_KILL_SEED=" << seed << ")" << std::endl;
  RecordProperty("kill_seed", std::to_string(seed));
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> delay_ms(5, 150);

  TempDir dir;
  const std::string data = dir.path() + "/data";
  CreateStore(data);
  const std::string author = MakeIdentity("kilr", 7).address();
  const keys::Identity prober = MakeIdentity("prob", 9);
  const std::string probe_author = prober.address();

  constexpr int kRounds = 24;
  std::map<std::string, std::string> acked;  // path -> content, all rounds
  ValidatedDocs validated;                   // verified after an earlier kill
  int rounds_with_acks = 0, rounds_with_bystander = 0;
  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round) + ", seed " + std::to_string(seed));
    // Odd rounds: another process keeps the store open across the kill, so
    // that recovery goes through LMDB's robust mutex, not a fresh lock file.
    const bool with_bystander = round % 2 == 1;
    Pipe by_ready, by_stop;
    pid_t bystander = -1;
    if (with_bystander) {
      bystander = Spawn([&] {
        by_ready.CloseRead();
        by_stop.CloseWrite();
        return Bystander(data, by_ready.w, by_stop.r);
      });
      by_ready.CloseWrite();
      by_stop.CloseRead();
      ASSERT_EQ(ReadLine(by_ready.r, 10000), "ready");
      ++rounds_with_bystander;
    }

    Pipe acks;
    const int delay = delay_ms(rng);
    const pid_t writer = Spawn([&] {
      acks.CloseRead();
      return KillWriter(data, round, acks.w);
    });
    acks.CloseWrite();
    std::string received;
    // Even rounds count the delay from the spawn (kills land during start-
    // up and Store::Open too); odd rounds from the moment the store is open,
    // so that a loaded machine's slow start-up still leaves rounds that write.
    if (round % 2 == 1) {
      const std::string ready = ReadLine(acks.r, 10000);
      ASSERT_EQ(ready, "R") << "writer did not open the store";
    }
    ReadFor(acks.r, delay, &received);
    kill(writer, SIGKILL);
    const ChildExit how = WaitChild(writer, 10000);
    received += ReadToEof(acks.r, 5000);
    ASSERT_TRUE(!how.exited && how.signal == SIGKILL) << "writer did not die by our SIGKILL: " << how.Describe();

    size_t round_acks = 0;
    for (const auto& line : Lines(received)) {
      if (line == "R") continue;
      if (line.rfind("S ", 0) == 0) {
        const std::string path = line.substr(2);
        acked[path] = KillContent(path);
        ++round_acks;
      } else if (line.rfind("B ", 0) == 0) {
        const int i = std::stoi(line.substr(2));
        for (int j = 0; j < kBatchSize; ++j) acked[BatchPath(round, i, j)] = KillContent(BatchPath(round, i, j));
        round_acks += kBatchSize;
      } else {
        ADD_FAILURE() << "unexpected ack line: " << line;
      }
    }
    if (round_acks > 0) ++rounds_with_acks;

    // Check in this process: the writer is dead, and the only other
    // process with the store open is the bystander (its own environment).
    {
      auto store = OpenAt(data);
      ASSERT_TRUE(store.ok()) << "reopen after SIGKILL: " << StatusText(store.status());
      size_t missing = 0;
      for (const auto& [path, content] : acked) {
        auto winner = (*store)->replica().Winner(kWs, path);
        ASSERT_TRUE(winner.ok()) << path << ": " << StatusText(winner.status());
        if (!winner->has_value()) {
          if (++missing <= 5) ADD_FAILURE() << "acknowledged document lost: " << path;
          continue;
        }
        EXPECT_EQ((*winner)->content, content) << path;
        EXPECT_EQ((*winner)->author, path.rfind("/probe/", 0) == 0 ? probe_author : author) << path;
      }
      EXPECT_EQ(missing, 0u) << "acknowledged documents lost after SIGKILL";
      // Documents that were written but not yet acknowledged may be there;
      // whatever is there must be whole.
      auto all = (*store)->replica().AllDocuments(kWs);
      ASSERT_TRUE(all.ok());
      for (const auto& doc : *all) {
        if (doc.path.rfind("/kill/", 0) == 0) {
          EXPECT_EQ(doc.content, KillContent(doc.path)) << "torn " << doc.path;
        }
      }
      CheckIntegrity(**store, nullptr, &validated);
      // The store still takes writes after the kill (the dead writer's lock
      // must not be held forever).
      auto probe = (*store)->replica().Set(prober, kWs, "/probe/" + std::to_string(round) + ".txt", "alive");
      ASSERT_TRUE(probe.ok()) << "write after SIGKILL: " << StatusText(probe.status());
      acked["/probe/" + std::to_string(round) + ".txt"] = "alive";
    }
    if (with_bystander) {
      by_stop.CloseWrite();
      const ChildExit b = WaitChild(bystander, 10000);
      EXPECT_TRUE(b.ok()) << "bystander " << b.Describe();
    }
    if (::testing::Test::HasFatalFailure()) return;
  }
  std::cout << "SIGKILL: " << kRounds << " rounds (" << rounds_with_bystander << " with a bystander process), "
            << rounds_with_acks << " with acknowledged writes, " << acked.size()
            << " acknowledged documents checked after every kill" << std::endl;
  // A loaded machine may start the writer slowly; a quarter is still telling.
  EXPECT_GE(rounds_with_acks, kRounds / 4) << "too few rounds got to write anything; the test says little";
}

// ------------------------------------------------------ 2. multi-process

constexpr int kPerWriter = 500;
std::string MpPath(char writer, int i) { return std::string("/mp/") + writer + "/" + std::to_string(i) + ".txt"; }
std::string MpContent(const std::string& path) { return ContentFor(path, 500, 1500); }

int MpWriter(const std::string& data, char name, uint8_t seed) {
  auto store = OpenAt(data, size_t{1} << 20);
  if (!store.ok()) {
    std::fprintf(stderr, "writer %c: open: %s\n", name, StatusText(store.status()).c_str());
    return 2;
  }
  const keys::Identity id = MakeIdentity(name == 'a' ? "wrta" : "wrtb", seed);
  for (int i = 0; i < kPerWriter; ++i) {
    const std::string path = MpPath(name, i);
    auto doc = (*store)->replica().Set(id, kWs, path, MpContent(path));
    if (!doc.ok()) {
      std::fprintf(stderr, "writer %c: set %s: %s\n", name, path.c_str(), StatusText(doc.status()).c_str());
      return 3;
    }
  }
  return 0;
}

// Reads until |stop_fd| reports EOF (the writers are done), then checks that
// it sees all their documents; reports "<reads> <found>" on |out_fd|.
int MpReader(const std::string& data, int stop_fd, int out_fd, unsigned seed, const std::set<std::string>& authors) {
  auto store = OpenAt(data, size_t{1} << 20);
  if (!store.ok()) {
    std::fprintf(stderr, "reader: open: %s\n", StatusText(store.status()).c_str());
    return 2;
  }
  std::mt19937 rng(seed);
  uint64_t reads = 0, found = 0, last_seq = 0;
  auto fail = [](const std::string& what) {
    std::fprintf(stderr, "reader %d: %s\n", getpid(), what.c_str());
    return 3;
  };
  // Always do at least a few rounds, even if the writers are very fast.
  for (int iteration = 0; iteration < 20 || !Stopped(stop_fd); ++iteration) {
    const char writer = rng() % 2 ? 'a' : 'b';
    const std::string path = MpPath(writer, static_cast<int>(rng() % kPerWriter));
    auto winner = (*store)->replica().Winner(kWs, path);
    if (!winner.ok()) return fail("winner " + path + ": " + StatusText(winner.status()));
    ++reads;
    if (winner->has_value()) {
      const Document& doc = **winner;
      ++found;
      if (Status v = ValidateDocument(doc, SystemClock().NowMicros()); !v.ok()) {
        return fail("read a document that fails validation: " + path + ": " + v.message());
      }
      if (doc.content != MpContent(path) || !authors.count(doc.author)) return fail("wrong document at " + path);
    }
    const std::string folder = std::string("/mp/") + writer + "/";
    auto listing = (*store)->folders().List(kWs, folder);
    if (!listing.ok()) return fail("list " + folder + ": " + StatusText(listing.status()));
    ++reads;
    for (const auto& e : *listing) {
      if (e.is_folder) return fail("unexpected folder " + e.name + " in " + folder);
      if (e.content_bytes != MpContent(folder + e.name).size()) return fail("wrong size listed for " + folder + e.name);
    }
    auto changes = (*store)->replica().ChangesSince(last_seq, 200);
    if (!changes.ok()) return fail("changes: " + StatusText(changes.status()));
    ++reads;
    for (const auto& c : *changes) {
      if (c.seq <= last_seq) return fail("change feed went backwards at " + std::to_string(c.seq));
      last_seq = c.seq;
    }
  }
  // The writers are done (and grew the map since this process opened it):
  // this long-lived reader now sees every document.
  for (char writer : {'a', 'b'}) {
    for (int i = 0; i < kPerWriter; ++i) {
      const std::string path = MpPath(writer, i);
      auto winner = (*store)->replica().Winner(kWs, path);
      if (!winner.ok()) return fail("final winner " + path + ": " + StatusText(winner.status()));
      if (!winner->has_value() || (**winner).content != MpContent(path)) return fail("final read: missing " + path);
      ++reads;
    }
  }
  WriteLine(out_fd, std::to_string(reads) + " " + std::to_string(found));
  return 0;
}

TEST(StoreProcess, TwoWritersTwoReadersAtOnce) {
  TempDir dir;
  const std::string data = dir.path() + "/data";
  // A small map so that the writers grow it while the others have it open.
  CreateStore(data, size_t{1} << 20);
  const std::set<std::string> authors = {MakeIdentity("wrta", 1).address(), MakeIdentity("wrtb", 2).address()};

  Pipe stop;
  Pipe out[2];
  std::vector<pid_t> readers;
  for (int r = 0; r < 2; ++r) {
    readers.push_back(Spawn([&, r] {
      stop.CloseWrite();
      out[r].CloseRead();
      return MpReader(data, stop.r, out[r].w, 1000 + r, authors);
    }));
    out[r].CloseWrite();
  }
  stop.CloseRead();
  const auto start = Clk::now();
  const pid_t wa = Spawn([&] { return MpWriter(data, 'a', 1); });
  const pid_t wb = Spawn([&] { return MpWriter(data, 'b', 2); });
  const ChildExit ea = WaitChild(wa, 300000), eb = WaitChild(wb, 300000);
  const double write_s = std::chrono::duration<double>(Clk::now() - start).count();
  stop.CloseWrite();
  EXPECT_TRUE(ea.ok()) << "writer a " << ea.Describe();
  EXPECT_TRUE(eb.ok()) << "writer b " << eb.Describe();
  for (int r = 0; r < 2; ++r) {
    const ChildExit e = WaitChild(readers[r], 60000);
    const std::string report = ReadToEof(out[r].r, 5000);
    EXPECT_TRUE(e.ok()) << "reader " << r << " " << e.Describe();
    std::istringstream in(report);
    uint64_t reads = 0, found = 0;
    in >> reads >> found;
    EXPECT_GT(reads, 0u) << "reader " << r << " did not read";
    std::cout << "reader " << r << ": " << reads << " successful reads (" << found
              << " documents found while the writers ran)" << std::endl;
  }
  std::cout << "2 writers x " << kPerWriter << " Set() in " << write_s << " s" << std::endl;

  auto store = OpenAt(data);
  ASSERT_TRUE(store.ok()) << StatusText(store.status());
  size_t missing = 0;
  for (char w : {'a', 'b'}) {
    for (int i = 0; i < kPerWriter; ++i) {
      auto winner = (*store)->replica().Winner(kWs, MpPath(w, i));
      ASSERT_TRUE(winner.ok());
      if (!winner->has_value() || (*winner)->content != MpContent(MpPath(w, i))) ++missing;
    }
  }
  EXPECT_EQ(missing, 0u) << "documents missing or wrong after two writers";
  size_t documents = 0;
  CheckIntegrity(**store, &documents);
  EXPECT_EQ(documents, 2u * kPerWriter);
  EXPECT_GT((*store)->map_bytes(), size_t{1} << 20) << "the map should have grown";
}

// A process holding an LMDB write transaction (raw LMDB, the store's flags)
// until |release_fd| reports EOF (the test closes it once it has seen what
// it waits for) or |max_hold_ms| pass; says "locked" on |ready_fd| once it
// holds it.
int HoldWriteTxn(const std::string& store_dir, int ready_fd, int release_fd, int max_hold_ms) {
  RawEnv raw(store_dir);
  if (raw.rc != 0) {
    std::fprintf(stderr, "holder: open: %s\n", mdb_strerror(raw.rc));
    return 2;
  }
  MDB_txn* txn = nullptr;
  if (int rc = mdb_txn_begin(raw.env, nullptr, 0, &txn); rc != 0) {
    std::fprintf(stderr, "holder: begin: %s\n", mdb_strerror(rc));
    return 3;
  }
  WriteLine(ready_fd, "locked");
  pollfd p{release_fd, POLLIN, 0};
  const bool released = poll(&p, 1, max_hold_ms) > 0;
  mdb_txn_abort(txn);
  return released ? 0 : 4;  // 4: nobody released it (the test gave up)
}

// The longest a holder keeps its transaction if the test never releases it.
constexpr int kMaxHoldMs = 20000;
constexpr int kReads = 100;

// 100 Winner() reads; the line on |out_fd| is the time they took (µs).
int TimedReads(Store& store, Clk::time_point start, int out_fd) {
  for (int i = 0; i < kReads; ++i) {
    const std::string path = "/hold/" + std::to_string(i) + ".txt";
    auto winner = store.replica().Winner(kWs, path);
    if (!winner.ok() || !winner->has_value() || (*winner)->content != "held " + std::to_string(i)) {
      std::fprintf(stderr, "timed reader: bad read of %s\n", path.c_str());
      return 3;
    }
  }
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(Clk::now() - start).count();
  WriteLine(out_fd, std::to_string(us));
  return 0;
}

void FillHoldStore(const std::string& data) {
  auto store = OpenAt(data);
  ASSERT_TRUE(store.ok()) << StatusText(store.status());
  ASSERT_TRUE((*store)->workspaces().Add(kWs).ok());
  const keys::Identity id = MakeIdentity("hold", 3);
  for (int i = 0; i < kReads; ++i) {
    ASSERT_TRUE(
        (*store)->replica().Set(id, kWs, "/hold/" + std::to_string(i) + ".txt", "held " + std::to_string(i)).ok());
  }
}

// Readers that already have the store open are not blocked by a writer.
TEST(StoreProcess, ReadersAreNotBlockedByAWriteTransaction) {
  TempDir dir;
  const std::string data = dir.path() + "/data";
  FillHoldStore(data);
  if (HasFatalFailure()) return;

  Pipe reader_ready, go, result, locked, release;
  const pid_t reader = Spawn([&] {
    reader_ready.CloseRead();
    go.CloseWrite();
    result.CloseRead();
    release.CloseWrite();
    auto store = OpenAt(data);
    if (!store.ok()) {
      std::fprintf(stderr, "reader: open: %s\n", StatusText(store.status()).c_str());
      return 2;
    }
    WriteLine(reader_ready.w, "ready");
    if (ReadLine(go.r, 20000) != "go") return 4;
    return TimedReads(**store, Clk::now(), result.w);
  });
  reader_ready.CloseWrite();
  go.CloseRead();
  result.CloseWrite();
  ASSERT_EQ(ReadLine(reader_ready.r, 20000), "ready");

  const pid_t holder = Spawn([&] {
    locked.CloseRead();
    release.CloseWrite();
    return HoldWriteTxn(data + "/store", locked.w, release.r, kMaxHoldMs);
  });
  locked.CloseWrite();
  release.CloseRead();
  ASSERT_EQ(ReadLine(locked.r, 20000), "locked");
  WriteLine(go.w, "go");
  // The holder keeps its transaction until released below: a reader that
  // waited for it would report nothing before this deadline.
  const std::string us = ReadLine(result.r, 10000);
  const bool still_held = waitpid(holder, nullptr, WNOHANG) == 0;
  release.CloseWrite();
  const ChildExit re = WaitChild(reader, 20000);
  const ChildExit he = WaitChild(holder, 20000);
  EXPECT_TRUE(re.ok()) << "reader " << re.Describe();
  EXPECT_TRUE(he.ok()) << "holder " << he.Describe();
  EXPECT_TRUE(still_held) << "the holder let go before the reads were done";
  ASSERT_FALSE(us.empty()) << "the reads did not finish while the write transaction was held";
  const double ms = std::stod(us) / 1000.0;
  std::cout << kReads << " Winner() reads while another process holds a write transaction: " << ms << " ms"
            << std::endl;
  EXPECT_LT(ms, 1500.0) << "reads were slowed down by the writer";
}

// Opening the store (and then reading) is not blocked by a writer either:
// a mount or `esfs ls` started during a long sync ingest must not hang.
TEST(StoreProcess, OpenAndReadWhileAnotherProcessHoldsAWriteTransaction) {
  TempDir dir;
  const std::string data = dir.path() + "/data";
  FillHoldStore(data);
  if (HasFatalFailure()) return;

  Pipe locked, result, release;
  const pid_t holder = Spawn([&] {
    locked.CloseRead();
    result.CloseRead();
    release.CloseWrite();
    return HoldWriteTxn(data + "/store", locked.w, release.r, kMaxHoldMs);
  });
  locked.CloseWrite();
  release.CloseRead();
  ASSERT_EQ(ReadLine(locked.r, 20000), "locked");
  const pid_t reader = Spawn([&] {
    result.CloseRead();
    release.CloseWrite();
    const auto start = Clk::now();
    auto store = OpenAt(data);
    if (!store.ok()) {
      std::fprintf(stderr, "reader: open: %s\n", StatusText(store.status()).c_str());
      return 2;
    }
    return TimedReads(**store, start, result.w);
  });
  result.CloseWrite();
  // Held until released below: an Open that waited for it would report
  // nothing before this deadline.
  const std::string us = ReadLine(result.r, 10000);
  const bool still_held = waitpid(holder, nullptr, WNOHANG) == 0;
  release.CloseWrite();
  const ChildExit re = WaitChild(reader, 20000);
  const ChildExit he = WaitChild(holder, 20000);
  EXPECT_TRUE(re.ok()) << "reader " << re.Describe();
  EXPECT_TRUE(he.ok()) << "holder " << he.Describe();
  EXPECT_TRUE(still_held) << "the holder let go before the reads were done";
  ASSERT_FALSE(us.empty()) << "Store::Open waited for another process's write transaction";
  const double ms = std::stod(us) / 1000.0;
  std::cout << "Store::Open + " << kReads << " Winner() reads while another process holds a write transaction: " << ms
            << " ms" << std::endl;
  EXPECT_LT(ms, 1500.0) << "Store::Open was slowed down by another process's write transaction";
}

// ----------------------------------------------------------- 3. map growth

TEST(StoreProcess, MapGrowsFromOneMebibyteAndReopensSmall) {
  TempDir dir;
  const std::string data = dir.path() + "/data";
  constexpr size_t kSmall = size_t{1} << 20;
  constexpr int kBatches = 40, kDocs = 50;  // 2000 documents of ~4 KB: ~8 MB
  const keys::Identity id = MakeIdentity("grow", 4);
  auto path_of = [](int b, int j) { return "/grow/" + std::to_string(b) + "/" + std::to_string(j) + ".txt"; };
  size_t grown = 0, content_bytes = 0;
  {
    auto store = OpenAt(data, kSmall);
    ASSERT_TRUE(store.ok()) << StatusText(store.status());
    ASSERT_TRUE((*store)->workspaces().Add(kWs).ok());
    const size_t initial = (*store)->map_bytes();
    EXPECT_LE(initial, 2 * kSmall);
    const SystemClock clock;
    for (int b = 0; b < kBatches; ++b) {
      std::vector<Document> batch(kDocs);
      for (int j = 0; j < kDocs; ++j) {
        batch[j].workspace = kWs;
        batch[j].path = path_of(b, j);
        batch[j].content = ContentFor(batch[j].path, 3900, 4100);
        batch[j].timestamp = clock.NowMicros();
        id.Sign(batch[j]);
        content_bytes += batch[j].content.size();
      }
      auto outcomes = (*store)->replica().IngestBatch(kWs, batch);
      ASSERT_TRUE(outcomes.ok()) << "batch " << b << ": " << StatusText(outcomes.status());
      for (const auto& o : *outcomes) ASSERT_EQ(o.result, IngestResult::kAccepted) << o.reason;
    }
    grown = (*store)->map_bytes();
    std::cout << "map: " << initial << " -> " << grown << " bytes for " << content_bytes << " bytes of content"
              << std::endl;
    EXPECT_GT(grown, initial);
    EXPECT_GE(grown, content_bytes);
    for (int b = 0; b < kBatches; ++b) {
      for (int j = 0; j < kDocs; ++j) {
        auto winner = (*store)->replica().Winner(kWs, path_of(b, j));
        ASSERT_TRUE(winner.ok() && winner->has_value()) << path_of(b, j);
        ASSERT_EQ((*winner)->content, ContentFor(path_of(b, j), 3900, 4100));
      }
    }
    CheckIntegrity(**store);
  }
  // Reopen asking for a map far smaller than the file.
  auto store = OpenAt(data, kSmall);
  ASSERT_TRUE(store.ok()) << "reopen with a small map: " << StatusText(store.status());
  EXPECT_GE((*store)->map_bytes(), content_bytes);
  for (int b = 0; b < kBatches; ++b) {
    for (int j = 0; j < kDocs; ++j) {
      auto winner = (*store)->replica().Winner(kWs, path_of(b, j));
      ASSERT_TRUE(winner.ok() && winner->has_value()) << path_of(b, j);
      ASSERT_EQ((*winner)->content, ContentFor(path_of(b, j), 3900, 4100));
    }
  }
  // And it still grows after the reopen.
  for (int i = 0; i < 300; ++i) {
    auto doc = (*store)->replica().Set(id, kWs, "/grow/more/" + std::to_string(i) + ".txt",
                                       ContentFor(std::to_string(i), 4000, 8000));
    ASSERT_TRUE(doc.ok()) << "write " << i << " after reopening small: " << StatusText(doc.status());
  }
  CheckIntegrity(**store);
}

// ---------------------------------------------------------- 4. disk full

// A tmpfs mounted for the test's lifetime; unmounted on every exit path.
class TmpfsMount {
 public:
  TmpfsMount(const std::string& dir, const std::string& options) : dir_(dir) {
    stdfs::create_directories(dir);
    if (::mount("tmpfs", dir.c_str(), "tmpfs", 0, options.c_str()) != 0) {
      error_ = std::string("mount -t tmpfs -o ") + options + " tmpfs " + dir + ": " + std::strerror(errno);
    } else {
      mounted_ = true;
    }
  }
  ~TmpfsMount() {
    if (!mounted_) return;
    if (::umount2(dir_.c_str(), 0) != 0) {
      std::cerr << "umount " << dir_ << ": " << std::strerror(errno) << "; detaching lazily" << std::endl;
      if (::umount2(dir_.c_str(), MNT_DETACH) != 0) {
        std::cerr << "umount -l " << dir_ << ": " << std::strerror(errno) << std::endl;
      }
    }
  }
  TmpfsMount(const TmpfsMount&) = delete;
  TmpfsMount& operator=(const TmpfsMount&) = delete;
  bool mounted() const { return mounted_; }
  const std::string& error() const { return error_; }

 private:
  std::string dir_;
  bool mounted_ = false;
  std::string error_;
};

TEST(StoreProcess, FullDiskIsAStatusAndKeepsAcknowledgedWrites) {
  TempDir dir;
  TmpfsMount tmpfs(dir.path() + "/small", "size=3m");
  ASSERT_TRUE(tmpfs.mounted()) << "this test needs a really full disk: it "
                                  "mounts a 3 MiB tmpfs, which needs root "
                                  "(CAP_SYS_ADMIN): "
                               << tmpfs.error();
  const std::string data = dir.path() + "/small/data";
  const keys::Identity id = MakeIdentity("full", 5);
  std::vector<std::string> acked;
  std::optional<Status> failure;
  std::vector<Status> later;
  {
    auto store = OpenAt(data, size_t{64} << 20);
    ASSERT_TRUE(store.ok()) << StatusText(store.status());
    ASSERT_TRUE((*store)->workspaces().Add(kWs).ok());
    for (int i = 0; i < 5000 && !failure; ++i) {
      const std::string path = "/full/" + std::to_string(i) + ".txt";
      auto doc = (*store)->replica().Set(id, kWs, path, ContentFor(path, 3000, 5000));
      if (doc.ok()) {
        acked.push_back(path);
      } else {
        failure = doc.status();
      }
    }
    ASSERT_TRUE(failure.has_value()) << "5000 writes of ~4 KB fit in a 3 MiB tmpfs?";
    // More writes after the first failure: each a Status, never a crash;
    // small ones may still fit.
    for (int i = 0; i < 20; ++i) {
      const std::string path = "/after/" + std::to_string(i) + ".txt";
      auto doc = (*store)->replica().Set(id, kWs, path, i % 2 ? "x" : ContentFor(path, 3000, 5000));
      if (doc.ok()) {
        acked.push_back(path);
      } else {
        later.push_back(doc.status());
      }
    }
    // The open store still reads everything that was acknowledged.
    for (const auto& path : acked) {
      auto winner = (*store)->replica().Winner(kWs, path);
      ASSERT_TRUE(winner.ok() && winner->has_value()) << "before reopening: " << path;
    }
  }
  std::cout << acked.size() << " writes succeeded; the first failure: " << StatusText(*failure) << std::endl;
  for (const auto& s : later) std::cout << "  later failure: " << StatusText(s) << std::endl;
  EXPECT_EQ(failure->code(), StatusCode::kNoSpace) << StatusText(*failure);
  EXPECT_NE(failure->message().find("disk is full"), std::string::npos)
      << "the message should say that the disk is full: " << StatusText(*failure);
  for (const auto& s : later) {
    EXPECT_NE(s.message().find("disk is full"), std::string::npos) << "later failure: " << StatusText(s);
  }
  EXPECT_GT(acked.size(), 100u);

  auto store = OpenAt(data, size_t{64} << 20);
  ASSERT_TRUE(store.ok()) << "reopen on the full disk: " << StatusText(store.status());
  size_t missing = 0;
  for (const auto& path : acked) {
    auto winner = (*store)->replica().Winner(kWs, path);
    ASSERT_TRUE(winner.ok()) << path << ": " << StatusText(winner.status());
    if (!winner->has_value()) {
      if (++missing <= 5) ADD_FAILURE() << "acknowledged write lost on a full disk: " << path;
      continue;
    }
    const std::string& content = (*winner)->content;
    EXPECT_TRUE(content == "x" || content == ContentFor(path, 3000, 5000)) << path;
  }
  EXPECT_EQ(missing, 0u);
  CheckIntegrity(**store);
}

// ------------------------------------------------- 5. folders not ours

TEST(StoreProcess, FolderWithOtherFilesIsRefused) {
  TempDir dir;
  const std::string data = dir.path() + "/photos";
  stdfs::create_directories(data);
  testing::WriteFile(data + "/holiday.jpg", "not a picture");
  testing::WriteFile(data + "/notes.txt", "hello");
  auto store = OpenAt(data);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kInvalidArgument) << StatusText(store.status());
  EXPECT_NE(store.status().message().find(data), std::string::npos) << store.status().message();
  EXPECT_FALSE(stdfs::exists(data + "/store")) << "Open left a store/ folder in someone else's folder";
}

TEST(StoreProcess, StoreFolderWithAFileThatIsNotLmdbIsRefused) {
  for (const std::string& garbage : {std::string("hello"), std::string(20000, 'z'), ContentFor("x", 70000, 70000)}) {
    TempDir dir;
    const std::string data = dir.path() + "/data";
    stdfs::create_directories(data + "/store");
    testing::WriteFile(data + "/store/data.mdb", garbage);
    auto store = OpenAt(data);
    ASSERT_FALSE(store.ok()) << "a " << garbage.size() << "-byte data.mdb was taken for a store";
    EXPECT_EQ(store.status().code(), StatusCode::kInvalidArgument) << StatusText(store.status());
    EXPECT_NE(store.status().message().find("not an esfs store"), std::string::npos) << store.status().message();
    EXPECT_NE(store.status().message().find(data + "/store"), std::string::npos) << store.status().message();
    EXPECT_TRUE(testing::ReadFile(data + "/store/data.mdb") == garbage) << "the foreign file was changed";
  }
}

TEST(StoreProcess, ForeignLmdbEnvironmentIsRefusedAndLeftAlone) {
  TempDir dir;
  const std::string data = dir.path() + "/data";
  stdfs::create_directories(data + "/store");
  // Some other program's LMDB: records in the main database.
  ASSERT_EQ(RawPut(data + "/store", nullptr, "user:1", "alice"), 0);
  const std::string before = testing::ReadFile(data + "/store/data.mdb");
  {
    auto store = OpenAt(data);
    EXPECT_FALSE(store.ok()) << "someone else's LMDB environment was adopted as an esfs store";
    if (!store.ok()) {
      EXPECT_EQ(store.status().code(), StatusCode::kInvalidArgument) << StatusText(store.status());
      EXPECT_NE(store.status().message().find("not an esfs store"), std::string::npos) << store.status().message();
    }
  }
  EXPECT_TRUE(testing::ReadFile(data + "/store/data.mdb") == before) << "the foreign environment was modified";
  // Its own record is still there, and nothing else was added.
  RawEnv raw(data + "/store");
  ASSERT_EQ(raw.rc, 0) << mdb_strerror(raw.rc);
  MDB_txn* txn = nullptr;
  ASSERT_EQ(mdb_txn_begin(raw.env, nullptr, MDB_RDONLY, &txn), 0);
  MDB_dbi main_db;
  ASSERT_EQ(mdb_dbi_open(txn, nullptr, 0, &main_db), 0);
  MDB_cursor* cursor = nullptr;
  ASSERT_EQ(mdb_cursor_open(txn, main_db, &cursor), 0);
  std::vector<std::string> keys;
  MDB_val k, v;
  for (int rc = mdb_cursor_get(cursor, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT)) {
    keys.emplace_back(static_cast<const char*>(k.mv_data), k.mv_size);
  }
  mdb_cursor_close(cursor);
  mdb_txn_abort(txn);
  EXPECT_EQ(keys, std::vector<std::string>{"user:1"}) << "keys added to the foreign main database";
}

TEST(StoreProcess, NewerFormatVersionIsRefused) {
  TempDir dir;
  const std::string data = dir.path() + "/data";
  CreateStore(data);
  if (HasFatalFailure()) return;
  ASSERT_EQ(RawPut(data + "/store", "meta", "version", std::string("\0\0\0\2", 4)), 0);
  auto store = OpenAt(data);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kInvalidArgument) << StatusText(store.status());
  EXPECT_NE(store.status().message().find("newer"), std::string::npos) << store.status().message();
  EXPECT_NE(store.status().message().find(data), std::string::npos) << store.status().message();
}

// Runs Store::Open(|data|) in a child that is user and group nobody, and
// returns "<code> <message>" (or "OK").
std::string OpenAsNobody(const std::string& data) {
  Pipe out;
  const pid_t child = Spawn([&] {
    out.CloseRead();
    if (setresgid(65534, 65534, 65534) != 0 || setresuid(65534, 65534, 65534) != 0) {
      WriteLine(out.w, std::string("setresuid failed: ") + std::strerror(errno));
      return 2;
    }
    auto store = OpenAt(data);
    WriteLine(out.w, store.ok()
                         ? std::string("OK")
                         : std::to_string(static_cast<int>(store.status().code())) + " " + store.status().message());
    return 0;
  });
  out.CloseWrite();
  const std::string line = ReadLine(out.r, 20000);
  const ChildExit e = WaitChild(child, 20000);
  EXPECT_TRUE(e.ok()) << "Open as nobody: " << e.Describe() << " " << line;
  return line;
}

TEST(StoreProcess, UnreadableDataFolderIsAStorageStatus) {
  ASSERT_EQ(geteuid(), 0u) << "this test runs Open as user nobody and needs root to switch";
  TempDir dir;
  ASSERT_EQ(chmod(dir.path().c_str(), 0755), 0);
  const std::string data = dir.path() + "/data";
  CreateStore(data);
  if (HasFatalFailure()) return;
  ASSERT_EQ(chmod(data.c_str(), 0700), 0);  // root's, nobody cannot list it
  const std::string storage = std::to_string(static_cast<int>(StatusCode::kStorage)) + " ";
  {
    const std::string got = OpenAsNobody(data);
    std::cout << "unreadable data folder: " << got << std::endl;
    EXPECT_EQ(got.rfind(storage, 0), 0u) << got;
    EXPECT_NE(got.find(data), std::string::npos) << got;
  }
  // A readable folder whose store files are root's 0600: LMDB's EACCES.
  ASSERT_EQ(chmod(data.c_str(), 0755), 0);
  ASSERT_EQ(chmod((data + "/store").c_str(), 0755), 0);
  {
    const std::string got = OpenAsNobody(data);
    std::cout << "store files not ours: " << got << std::endl;
    EXPECT_EQ(got.rfind(storage, 0), 0u) << got;
    EXPECT_NE(got.find(data), std::string::npos) << got;
    EXPECT_NE(got.find("permission denied"), std::string::npos) << got;
  }
  // The folder itself cannot even be reached.
  ASSERT_EQ(chmod(dir.path().c_str(), 0700), 0);
  {
    const std::string got = OpenAsNobody(data);
    std::cout << "unreachable data folder: " << got << std::endl;
    EXPECT_NE(got, "OK");
    EXPECT_NE(got.find(data), std::string::npos) << got;
  }
}

}  // namespace
}  // namespace esfs::core
