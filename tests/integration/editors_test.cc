// Real editors and file tools on a real mount. Each test runs one tool the
// way a user would, in a fresh folder of the workspace, and then checks
//   - the file contents and the EXACT recursive listing of its folder (no
//     leftover swap, lock or temp files; junk that a tool keeps on purpose,
//     like emacs' note.txt~, is listed explicitly),
//   - the store: per path the newest document; exactly the expected live
//     files and tombstones, every document signed by the mount's identity,
//     and the export validates with the reference library (es.4, lib 6),
//   - all of it again after a remount.
// nano runs in a private tmux server; strace proves which save path vim and
// emacs took. No fixed sleeps: every wait polls a condition.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "core/printable.h"
#include "tests/support/mount_fixture.h"

namespace esfs::testing {
namespace {

using core::OrderedJson;
constexpr size_t npos = std::string::npos;

// Polls |done| for at most |timeout_ms| (WaitUntil).
bool WaitFor(const std::function<bool()>& done, int timeout_ms = 20000) {
  return WaitUntil(done, std::chrono::milliseconds(timeout_ms));
}

bool Exists(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

size_t Count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

void PutFile(const std::string& path, const std::string& data) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ASSERT_GE(fd, 0) << path << ": " << strerror(errno);
  EXPECT_EQ(write(fd, data.data(), data.size()), static_cast<ssize_t>(data.size())) << path;
  EXPECT_EQ(close(fd), 0) << path << ": " << strerror(errno);
}

timespec MTime(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(lstat(path.c_str(), &st), 0) << path;
  return st.st_mtim;
}

void SetMTime(const std::string& path, time_t sec, long nsec) {
  const timespec times[2] = {{sec, nsec}, {sec, nsec}};
  ASSERT_EQ(utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW), 0) << path;
}

std::string Show(const timespec& t) { return std::to_string(t.tv_sec) + "." + std::to_string(t.tv_nsec); }

// Every name below |dir|, relative, folders with a trailing '/'; a .git
// folder is listed but not entered.
void ListTree(const std::string& dir, const std::string& prefix, std::set<std::string>& out) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return;
  while (dirent* e = readdir(d)) {
    const std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    struct stat st;
    if (lstat((dir + "/" + name).c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
      out.insert(prefix + name + "/");
      if (name != ".git") ListTree(dir + "/" + name, prefix + name + "/", out);
    } else {
      out.insert(prefix + name);
    }
  }
  closedir(d);
}
std::set<std::string> Tree(const std::string& dir) {
  std::set<std::string> out;
  ListTree(dir, "", out);
  return out;
}

// What a test folder must look like. Paths are relative to the folder.
struct Want {
  std::map<std::string, std::string> files;  // every file in it, with its content
  std::set<std::string> dirs;                // folders beyond the parents of |files| ("empty/")
  std::set<std::string> local;               // files of |files| that never reach the store (junk names)
  std::set<std::string> deleted;             // paths whose newest document is a tombstone
};

struct ToolRun {
  int exit_code = -1;
  std::string out, err, trace;  // trace: strace lines, runs of spaces squeezed
};

// Drives a tmux server of its own; kills it when done.
class Terminal {
 public:
  explicit Terminal(const std::string& dir) : socket_(dir + "/tmux.sock") {}
  ~Terminal() { Tmux({"kill-server"}); }
  bool Start(const std::string& cwd, const std::string& command) {
    return RunProgram({"tmux", "-S", socket_, "-f", "/dev/null", "new-session", "-d", "-s", "t", "-x", "100", "-y",
                       "30", "-c", cwd, command},
                      "", 30)
               .exit_code == 0;
  }
  std::string Screen() const { return Tmux({"capture-pane", "-p", "-t", "t"}).out; }
  void Type(const std::string& text) const { Tmux({"send-keys", "-t", "t", "-l", text}); }
  void Key(const std::string& key) const { Tmux({"send-keys", "-t", "t", key}); }
  bool Running() const { return Tmux({"has-session", "-t", "t"}).exit_code == 0; }

 private:
  RunResult Tmux(std::vector<std::string> args) const {
    args.insert(args.begin(), {"tmux", "-S", socket_});
    return RunProgram(args, "", 30);
  }
  std::string socket_;
};

class Editors : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(m_.mounted()) << m_.LogText(); }
  void TearDown() override {
    if (HasFailure()) std::cerr << "---- daemon log ----\n" << m_.LogText() << "\n--------------------\n";
  }

  // A fresh folder in the workspace for one tool.
  std::string Folder(const std::string& name) {
    EXPECT_EQ(mkdir(m_.Path(name).c_str(), 0755), 0) << strerror(errno);
    return m_.Path(name);
  }
  std::string Scratch(const std::string& name) const { return scratch_.File(name); }

  // Runs a tool in |cwd| with a private HOME; with |traced|, under strace.
  ToolRun Tool(const std::vector<std::string>& argv, const std::string& cwd, const std::string& input = "",
               bool traced = false) {
    std::vector<std::string> full = {"env",
                                     "-C",
                                     cwd,
                                     "HOME=" + home_.path(),
                                     "LC_ALL=C.UTF-8",
                                     "GIO_USE_VFS=local",
                                     "GIT_CONFIG_NOSYSTEM=1",
                                     "GIT_AUTHOR_NAME=Suzy",
                                     "GIT_AUTHOR_EMAIL=suzy@example.org",
                                     "GIT_COMMITTER_NAME=Suzy",
                                     "GIT_COMMITTER_EMAIL=suzy@example.org"};
    const std::string trace_file = home_.File("strace.out");
    if (traced) {
      unlink(trace_file.c_str());
      full.insert(full.end(), {"strace", "-f", "-qq", "-o", trace_file, "-e",
                               "trace=openat,rename,renameat,renameat2,unlink,unlinkat,symlink"});
    }
    full.insert(full.end(), argv.begin(), argv.end());
    RunResult r = RunProgram(full, input, 60);
    ToolRun run{r.exit_code, r.out, r.err, ""};
    if (traced) {
      // Only calls on names in the mount (relative or under the mount point).
      std::istringstream lines(ReadFile(trace_file));
      for (std::string line; std::getline(lines, line);) {
        const size_t quote = line.find('"');
        if (quote == npos ||
            (line[quote + 1] == '/' && line.compare(quote + 1, m_.mountpoint().size(), m_.mountpoint()) != 0)) {
          continue;
        }
        for (char c : line) {
          if (c != ' ' || run.trace.empty() || run.trace.back() != ' ') run.trace.push_back(c);
        }
        run.trace.push_back('\n');
      }
    }
    return run;
  }
  static bool Traced(const ToolRun& run, const std::string& needle) { return run.trace.find(needle) != npos; }

  // The store: per path the newest document. |live| maps es.4 paths to
  // content; |deleted| lists the paths whose newest document is empty.
  // Every document is signed by the mount's identity unless |authors|
  // names another one for its path. The export validates with the
  // reference library.
  void CheckStore(const std::map<std::string, std::string>& live, const std::set<std::string>& deleted,
                  const std::map<std::string, std::string>& authors = {}) {
    OrderedJson docs = m_.Export();
    ASSERT_TRUE(docs.is_array()) << docs.dump();
    std::map<std::string, OrderedJson> newest;
    for (const auto& d : docs) {
      const std::string path = d["path"];
      auto author = authors.find(path);
      EXPECT_EQ(d["author"], author == authors.end() ? m_.address() : author->second) << d.dump();
      auto it = newest.find(path);
      if (it == newest.end() || it->second["timestamp"].get<int64_t>() < d["timestamp"].get<int64_t>()) {
        newest[path] = d;
      }
    }
    std::map<std::string, std::string> got_live;
    std::set<std::string> got_deleted;
    for (const auto& [path, d] : newest) {
      const std::string content = d["content"];
      if (content.empty()) {
        got_deleted.insert(path);
      } else {
        got_live[path] = content;
      }
    }
    EXPECT_EQ(got_live, live);
    EXPECT_EQ(got_deleted, deleted);
    const std::string file = scratch_.File("export.json");
    WriteFile(file, docs.dump());
    auto ref = RunRefclient({"validate", file, "--lib", "6"});
    EXPECT_EQ(ref.exit_code, 0) << ref.out << ref.err;
  }

  // Contents and exact listing of the folder |name|, and the store.
  void CheckNow(const std::string& name, const Want& want) {
    const std::string dir = m_.Path(name);
    std::set<std::string> listing = want.dirs;
    std::map<std::string, std::string> live;
    for (const auto& [rel, content] : want.files) {
      listing.insert(rel);
      for (size_t slash = rel.find('/'); slash != npos; slash = rel.find('/', slash + 1)) {
        listing.insert(rel.substr(0, slash + 1));
      }
      EXPECT_EQ(ReadFile(dir + "/" + rel), content) << rel;
      if (!want.local.count(rel) && !content.empty()) live["/" + name + "/" + rel] = content;
    }
    EXPECT_EQ(Tree(dir), listing) << "in " << name;
    std::set<std::string> deleted;
    for (const auto& rel : want.deleted) deleted.insert("/" + name + "/" + rel);
    CheckStore(live, deleted);
  }

  // CheckNow, remount, CheckNow again.
  void CheckAll(const std::string& name, const Want& want) {
    {
      SCOPED_TRACE("before remount");
      CheckNow(name, want);
    }
    ASSERT_TRUE(m_.Remount()) << m_.LogText();
    SCOPED_TRACE("after remount");
    CheckNow(name, want);
  }

  MountedEsfs m_;
  TempDir home_;     // HOME of the tools (and the tmux socket, strace output)
  TempDir scratch_;  // files outside the mount
};

// ---- vim ----

// vim without a terminal, vimrc or viminfo, editing note.txt in the
// current folder; -es makes a failed command show in the exit status.
// backupskip is emptied because its default skips everything under /tmp.
std::vector<std::string> Vim(const std::string& sets, const std::string& keys,
                             const std::vector<std::string>& finish = {"wq"}) {
  std::vector<std::string> argv = {
      "vim", "-u", "NONE", "-i", "NONE", "-N", "-es", "-c", "set backupskip= " + sets, "-c", "normal! " + keys};
  for (const auto& command : finish) argv.insert(argv.end(), {"-c", command});
  argv.push_back("note.txt");
  return argv;
}
const char* kSwapCreated = "openat(AT_FDCWD, \".note.txt.swp\", O_RDWR|O_CREAT|O_EXCL";

TEST_F(Editors, VimDefaultBackupRenamesAndRewrites) {
  const std::string dir = Folder("vim-default");
  PutFile(dir + "/note.txt", "first line\n");
  auto run = Tool(Vim("", "Gosecond line"), dir, "", /*traced=*/true);
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  // The writebackup dance, with a swap file open while editing.
  EXPECT_TRUE(Traced(run, kSwapCreated)) << run.trace;
  EXPECT_TRUE(Traced(run, "rename(\"note.txt\", \"note.txt~\") = 0")) << run.trace;
  EXPECT_TRUE(Traced(run, "openat(AT_FDCWD, \"note.txt\", O_WRONLY|O_CREAT, 0644) = ")) << run.trace;
  EXPECT_TRUE(Traced(run, "unlink(\"note.txt~\") = 0")) << run.trace;
  CheckAll("vim-default", {.files = {{"note.txt", "first line\nsecond line\n"}}});
}

TEST_F(Editors, VimBackupcopyYesCopiesThenOverwritesInPlace) {
  const std::string dir = Folder("vim-copy");
  PutFile(dir + "/note.txt", "first line\n");
  auto run = Tool(Vim("backupcopy=yes", "Gosecond line"), dir, "", true);
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_TRUE(Traced(run, kSwapCreated)) << run.trace;
  EXPECT_TRUE(Traced(run, "openat(AT_FDCWD, \"note.txt~\", O_WRONLY|O_CREAT|O_EXCL|O_NOFOLLOW, 0644) = ")) << run.trace;
  EXPECT_FALSE(Traced(run, "rename(\"note.txt\"")) << run.trace;
  EXPECT_TRUE(Traced(run, "openat(AT_FDCWD, \"note.txt\", O_WRONLY|O_CREAT, 0644) = ")) << run.trace;
  EXPECT_TRUE(Traced(run, "unlink(\"note.txt~\") = 0")) << run.trace;
  CheckAll("vim-copy", {.files = {{"note.txt", "first line\nsecond line\n"}}});
}

TEST_F(Editors, VimNobackupNowritebackupWritesInPlace) {
  const std::string dir = Folder("vim-inplace");
  PutFile(dir + "/note.txt", "first line\n");
  auto run = Tool(Vim("nobackup nowritebackup", "Gosecond line"), dir, "", true);
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_TRUE(Traced(run, kSwapCreated)) << run.trace;
  EXPECT_FALSE(Traced(run, "note.txt~")) << run.trace;
  EXPECT_FALSE(Traced(run, "rename(")) << run.trace;
  EXPECT_TRUE(Traced(run, "openat(AT_FDCWD, \"note.txt\", O_WRONLY|O_CREAT, 0644) = ")) << run.trace;
  CheckAll("vim-inplace", {.files = {{"note.txt", "first line\nsecond line\n"}}});
}

// ---- nano, in a terminal ----

TEST_F(Editors, NanoSavesInPlaceAndRemovesItsLock) {
  const std::string dir = Folder("nano");
  PutFile(dir + "/note.txt", "old line\n");
  Terminal term(home_.path());
  ASSERT_TRUE(term.Start(dir, "env HOME=" + home_.path() + " nano note.txt"));
  // Debian's nanorc sets `locking`: a vim-style lock file while editing.
  ASSERT_TRUE(WaitFor([&] { return Exists(dir + "/.note.txt.swp") && term.Screen().find("note.txt") != npos; }))
      << term.Screen();
  term.Type("new line");
  term.Key("Enter");
  ASSERT_TRUE(WaitFor([&] { return term.Screen().find("new line") != npos; })) << term.Screen();
  term.Key("C-o");
  ASSERT_TRUE(WaitFor([&] { return term.Screen().find("File Name to Write") != npos; })) << term.Screen();
  term.Key("Enter");
  ASSERT_TRUE(WaitFor([&] { return ReadFile(dir + "/note.txt") == "new line\nold line\n"; }))
      << ReadFile(dir + "/note.txt") << term.Screen();
  term.Key("C-x");
  ASSERT_TRUE(WaitFor([&] { return !term.Running(); })) << term.Screen();
  CheckAll("nano", {.files = {{"note.txt", "new line\nold line\n"}}});
}

// ---- emacs ----

TEST_F(Editors, EmacsFirstSaveKeepsABackupLaterSavesInPlace) {
  const std::string dir = Folder("emacs");
  PutFile(dir + "/note.txt", "original\n");
  // Under /tmp emacs' default backup predicate skips backups (like vim's
  // backupskip): allow them before the file is visited. Each session
  // saves twice.
  auto emacs = [&](const std::string& a, const std::string& b) {
    return Tool({"emacs", "--batch", "--eval", "(setq backup-enable-predicate (lambda (_f) t))", "note.txt", "--eval",
                 "(progn (goto-char (point-max)) (insert \"" + a + "\\n\") (save-buffer) (insert \"" + b +
                     "\\n\") (save-buffer))"},
                dir, "", true);
  };
  const std::string to_backup = "rename(\"" + dir + "/note.txt\", \"" + dir + "/note.txt~\") = 0";
  auto first = emacs("one", "two");
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(Count(first.trace, to_backup), 1u) << first.trace;  // the second save is in place
  EXPECT_EQ(ReadFile(dir + "/note.txt~"), "original\n");
  auto second = emacs("three", "four");
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(Count(second.trace, to_backup), 1u) << second.trace;  // replaces the old backup
  CheckAll("emacs",
           {.files = {{"note.txt", "original\none\ntwo\nthree\nfour\n"}, {"note.txt~", "original\none\ntwo\n"}},
            .local = {"note.txt~"}});
}

// ---- ed, sed ----

TEST_F(Editors, EdEditsAndCreates) {
  const std::string dir = Folder("ed");
  PutFile(dir + "/note.txt", "one\n");
  auto run = Tool({"ed", "-s", "note.txt"}, dir, "a\ntwo\n.\n1s/one/ONE/\nw\nq\n");
  EXPECT_EQ(run.exit_code, 0) << run.err;
  auto fresh = Tool({"ed", "-s", "new.txt"}, dir, "a\nmade by ed\n.\nw\nq\n");
  EXPECT_EQ(fresh.exit_code, 0) << fresh.err;
  CheckAll("ed", {.files = {{"note.txt", "ONE\ntwo\n"}, {"new.txt", "made by ed\n"}}});
}

TEST_F(Editors, SedInPlaceRenamesItsTempOverTheFile) {
  const std::string dir = Folder("sed");
  PutFile(dir + "/note.txt", "colour colour\nflavour\n");
  auto run = Tool({"sed", "-i", "s/our/or/g", "note.txt"}, dir, "", true);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_TRUE(Traced(run, "rename(\"./sed")) << run.trace;
  CheckAll("sed", {.files = {{"note.txt", "color color\nflavor\n"}}});
}

// ---- cp, mv, rsync ----

TEST_F(Editors, CpNewFileAndOverAnExistingOne) {
  const std::string dir = Folder("cp");
  WriteFile(Scratch("src.txt"), "copied text\n");
  PutFile(dir + "/existing.txt", "a much longer old content that must not leave a tail\n");
  EXPECT_EQ(Tool({"cp", Scratch("src.txt"), "new.txt"}, dir).exit_code, 0);
  EXPECT_EQ(Tool({"cp", Scratch("src.txt"), "existing.txt"}, dir).exit_code, 0);
  CheckAll("cp", {.files = {{"new.txt", "copied text\n"}, {"existing.txt", "copied text\n"}}});
}

// A small tree outside the mount with distinct mtimes (files and folders).
void MakeTree(const std::string& root) {
  ASSERT_EQ(mkdir(root.c_str(), 0755), 0);
  ASSERT_EQ(mkdir((root + "/sub").c_str(), 0755), 0);
  ASSERT_EQ(mkdir((root + "/sub/deep").c_str(), 0755), 0);
  WriteFile(root + "/a.txt", "alpha\n");
  WriteFile(root + "/sub/b.md", "# beta\n");
  WriteFile(root + "/sub/deep/c.txt", "gamma\n");
  SetMTime(root + "/a.txt", 1600000001, 111111111);
  SetMTime(root + "/sub/b.md", 1600000002, 222222222);
  SetMTime(root + "/sub/deep/c.txt", 1600000003, 333333333);
  SetMTime(root + "/sub/deep", 1600000004, 444444444);
  SetMTime(root + "/sub", 1600000005, 555555555);
  SetMTime(root, 1600000006, 666666666);
}
const std::map<std::string, std::string> kTreeFiles = {
    {"tree/a.txt", "alpha\n"}, {"tree/sub/b.md", "# beta\n"}, {"tree/sub/deep/c.txt", "gamma\n"}};

void ExpectSameMTimes(const std::string& from, const std::string& to, const std::vector<std::string>& rels) {
  for (const auto& rel : rels) {
    const timespec a = MTime(from + rel), b = MTime(to + rel);
    EXPECT_TRUE(a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec)
        << "mtime of '" << rel << "': source " << Show(a) << ", copy " << Show(b);
  }
}

TEST_F(Editors, CpArchiveKeepsTreeAndMTimes) {
  const std::string dir = Folder("cp-a");
  MakeTree(Scratch("tree"));
  auto run = Tool({"cp", "-a", Scratch("tree"), "tree"}, dir);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::vector<std::string> files = {"/a.txt", "/sub/b.md", "/sub/deep/c.txt"};
  ExpectSameMTimes(Scratch("tree"), dir + "/tree", files);
  ExpectSameMTimes(Scratch("tree"), dir + "/tree", {"", "/sub", "/sub/deep"});
  CheckAll("cp-a", {.files = kTreeFiles});
  ExpectSameMTimes(Scratch("tree"), dir + "/tree", files);
}

TEST_F(Editors, MvWithinIntoAndOutOfTheMount) {
  const std::string dir = Folder("mv");
  PutFile(dir + "/a.txt", "renamed\n");
  PutFile(dir + "/c.txt", "moved down\n");
  PutFile(dir + "/out.txt", "leaves the mount\n");
  ASSERT_EQ(mkdir((dir + "/sub").c_str(), 0755), 0);
  WriteFile(Scratch("in.txt"), "came from /tmp\n");
  SetMTime(Scratch("in.txt"), 1500000000, 123456789);
  ASSERT_EQ(mkdir(Scratch("out").c_str(), 0755), 0);
  EXPECT_EQ(Tool({"mv", "a.txt", "b.txt"}, dir).exit_code, 0);
  EXPECT_EQ(Tool({"mv", "c.txt", "sub/"}, dir).exit_code, 0);
  auto in = Tool({"mv", Scratch("in.txt"), "."}, dir);
  EXPECT_EQ(in.exit_code, 0) << in.err;
  auto out = Tool({"mv", "out.txt", Scratch("out") + "/"}, dir);
  EXPECT_EQ(out.exit_code, 0) << out.err;
  EXPECT_FALSE(Exists(Scratch("in.txt")));
  EXPECT_EQ(ReadFile(Scratch("out/out.txt")), "leaves the mount\n");
  const timespec t = MTime(dir + "/in.txt");
  EXPECT_TRUE(t.tv_sec == 1500000000 && t.tv_nsec == 123456789) << Show(t);
  CheckAll("mv", {.files = {{"b.txt", "renamed\n"}, {"sub/c.txt", "moved down\n"}, {"in.txt", "came from /tmp\n"}},
                  .deleted = {"a.txt", "c.txt", "out.txt"}});
}

TEST_F(Editors, RsyncArchiveThenASecondRunCopiesNothing) {
  const std::string dir = Folder("rsync");
  MakeTree(Scratch("tree"));
  auto first = Tool({"rsync", "-a", Scratch("tree") + "/", "tree/"}, dir);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  auto second = Tool({"rsync", "-a", "-i", Scratch("tree") + "/", "tree/"}, dir);
  EXPECT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(second.out, "");  // itemizes nothing: contents, modes and mtimes all stuck
  ExpectSameMTimes(Scratch("tree"), dir + "/tree", {"/a.txt", "/sub/b.md", "/sub/deep/c.txt", "/sub", "/sub/deep"});
  CheckAll("rsync", {.files = kTreeFiles});
  auto again = Tool({"rsync", "-a", "-i", Scratch("tree") + "/", "tree/"}, dir);
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.out.find(">f"), npos) << again.out;  // after a remount no file is sent again
}

// ---- git ----

TEST_F(Editors, GitCloneStatusAndCommitPublishOnlyTrackedFiles) {
  const std::string repo = Scratch("repo");
  ASSERT_EQ(mkdir(repo.c_str(), 0755), 0);
  ASSERT_EQ(Tool({"git", "init", "-q", "-b", "main", "."}, repo).exit_code, 0);
  ASSERT_EQ(mkdir((repo + "/docs").c_str(), 0755), 0);
  WriteFile(repo + "/README.md", "hello\n");
  WriteFile(repo + "/docs/guide.txt", "guide\n");
  ASSERT_EQ(Tool({"git", "add", "."}, repo).exit_code, 0);
  ASSERT_EQ(Tool({"git", "commit", "-q", "-m", "one"}, repo).exit_code, 0);
  WriteFile(repo + "/README.md", "hello\nmore\n");
  ASSERT_EQ(Tool({"git", "commit", "-q", "-am", "two"}, repo).exit_code, 0);

  const std::string dir = Folder("git");
  auto clone = Tool({"git", "clone", "-q", repo, "clone"}, dir);
  ASSERT_EQ(clone.exit_code, 0) << clone.err;
  const std::string work = dir + "/clone";
  auto status = Tool({"git", "status", "--porcelain"}, work);
  EXPECT_EQ(status.exit_code, 0) << status.err;
  EXPECT_EQ(status.out, "");
  PutFile(work + "/docs/guide.txt", "guide\nedited in the mount\n");
  auto commit = Tool({"git", "commit", "-q", "-am", "three"}, work);
  EXPECT_EQ(commit.exit_code, 0) << commit.out << commit.err;
  status = Tool({"git", "status", "--porcelain"}, work);
  EXPECT_EQ(status.out, "") << status.err;
  CheckAll("git",
           {.files = {{"clone/README.md", "hello\nmore\n"}, {"clone/docs/guide.txt", "guide\nedited in the mount\n"}},
            .dirs = {"clone/.git/"}});
  status = Tool({"git", "status", "--porcelain"}, work);
  EXPECT_EQ(status.exit_code, 0) << status.err;
  EXPECT_EQ(status.out, "");
  auto log = Tool({"git", "log", "--format=%s"}, work);
  EXPECT_EQ(log.out, "three\ntwo\none\n") << log.err;
  auto fsck = Tool({"git", "fsck", "--strict"}, work);
  EXPECT_EQ(fsck.exit_code, 0) << fsck.out << fsck.err;
}

// ---- python, shell, coreutils ----

TEST_F(Editors, PythonWriteAndAtomicReplace) {
  const std::string dir = Folder("python");
  PutFile(dir + "/target.txt", "before the replace\n");
  const char* script =
      "import os, tempfile\n"
      "with open('plain.txt', 'w') as f:\n"
      "    f.write('written by python\\n')\n"
      "with tempfile.NamedTemporaryFile('w', dir='.', delete=False) as t:\n"
      "    t.write('replaced atomically\\n')\n"
      "os.replace(t.name, 'target.txt')\n";
  auto run = Tool({"python3", "-c", script}, dir);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  CheckAll("python", {.files = {{"plain.txt", "written by python\n"}, {"target.txt", "replaced atomically\n"}}});
}

TEST_F(Editors, ShellRedirectsTruncateAndAppend) {
  const std::string dir = Folder("shell");
  PutFile(dir + "/over.txt", "a much longer old content that must not leave a tail\n");
  auto run = Tool({"sh", "-c", "echo one > s.txt && echo two >> s.txt && echo short > over.txt"}, dir);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  CheckAll("shell", {.files = {{"s.txt", "one\ntwo\n"}, {"over.txt", "short\n"}}});
}

TEST_F(Editors, TruncateToZeroAndToFive) {
  const std::string dir = Folder("truncate");
  PutFile(dir + "/zero.txt", "some content\n");
  PutFile(dir + "/five.txt", "hello world\n");
  EXPECT_EQ(Tool({"truncate", "-s", "0", "zero.txt"}, dir).exit_code, 0);
  EXPECT_EQ(Tool({"truncate", "-s", "5", "five.txt"}, dir).exit_code, 0);
  // The emptied file stays as a local placeholder; its document is deleted.
  CheckAll("truncate", {.files = {{"zero.txt", ""}, {"five.txt", "hello"}}, .deleted = {"zero.txt"}});
}

TEST_F(Editors, TouchSetsTimesAndCreatesEmptyFiles) {
  const std::string dir = Folder("touch");
  PutFile(dir + "/dated.txt", "dated\n");
  auto run = Tool({"touch", "-d", "2020-02-02 02:02:02.123456789 UTC", "dated.txt"}, dir);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(Tool({"touch", "empty.txt"}, dir).exit_code, 0);
  timespec t = MTime(dir + "/dated.txt");
  EXPECT_TRUE(t.tv_sec == 1580608922 && t.tv_nsec == 123456789) << Show(t);
  CheckAll("touch", {.files = {{"dated.txt", "dated\n"}, {"empty.txt", ""}}});
  t = MTime(dir + "/dated.txt");
  EXPECT_TRUE(t.tv_sec == 1580608922 && t.tv_nsec == 123456789) << Show(t);
}

TEST_F(Editors, MkdirParents) {
  const std::string dir = Folder("mkdir");
  auto run = Tool({"mkdir", "-p", "a/b/c"}, dir);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(Tool({"mkdir", "-p", "a/b/c"}, dir).exit_code, 0);  // exists already: fine
  CheckAll("mkdir", {.dirs = {"a/", "a/b/", "a/b/c/"}});
}

TEST_F(Editors, RmRecursive) {
  const std::string dir = Folder("rm");
  ASSERT_EQ(Tool({"mkdir", "-p", "tree/sub/deep", "tree/empty"}, dir).exit_code, 0);
  PutFile(dir + "/tree/x.txt", "x\n");
  PutFile(dir + "/tree/sub/y.txt", "y\n");
  PutFile(dir + "/tree/sub/deep/z.txt", "z\n");
  PutFile(dir + "/keep.txt", "stays\n");
  auto run = Tool({"rm", "-r", "tree"}, dir);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  CheckAll("rm",
           {.files = {{"keep.txt", "stays\n"}}, .deleted = {"tree/x.txt", "tree/sub/y.txt", "tree/sub/deep/z.txt"}});
}

// ---- gio (GLib) ----

TEST_F(Editors, GioCopySaveMoveRename) {
  const std::string dir = Folder("gio");
  WriteFile(Scratch("src.txt"), "copied by gio\n");
  PutFile(dir + "/saved.txt", "before gio save, longer than after\n");
  PutFile(dir + "/moveme.txt", "moved by gio\n");
  PutFile(dir + "/renameme.txt", "renamed by gio\n");
  ASSERT_EQ(mkdir((dir + "/sub").c_str(), 0755), 0);
  auto copy = Tool({"gio", "copy", Scratch("src.txt"), dir + "/copied.txt"}, dir);
  EXPECT_EQ(copy.exit_code, 0) << copy.err;
  auto save = Tool({"gio", "save", dir + "/saved.txt"}, dir, "saved by gio\n");  // stdin -> file, replace
  EXPECT_EQ(save.exit_code, 0) << save.err;
  auto save_new = Tool({"gio", "save", dir + "/new.txt"}, dir, "new from gio\n");
  EXPECT_EQ(save_new.exit_code, 0) << save_new.err;
  auto move = Tool({"gio", "move", dir + "/moveme.txt", dir + "/sub/moved.txt"}, dir);
  EXPECT_EQ(move.exit_code, 0) << move.err;
  auto rename = Tool({"gio", "rename", dir + "/renameme.txt", "renamed.txt"}, dir);
  EXPECT_EQ(rename.exit_code, 0) << rename.err;
  CheckAll("gio", {.files = {{"copied.txt", "copied by gio\n"},
                             {"saved.txt", "saved by gio\n"},
                             {"new.txt", "new from gio\n"},
                             {"sub/moved.txt", "moved by gio\n"},
                             {"renamed.txt", "renamed by gio\n"}},
                   .deleted = {"moveme.txt", "renameme.txt"}});
}

// gio trash moves the file to <mount root>/.Trash-<uid>/files: the trash
// folder (junk, local-only) must be creatable at the mount root, and the
// file must leave the workspace (its document becomes a tombstone) while
// staying restorable from the trash.
TEST_F(Editors, GioTrashMovesTheFileToTheMountRootTrash) {
  const std::string dir = Folder("trash");
  PutFile(dir + "/trashme.txt", "into the trash\n");
  PutFile(dir + "/keep.txt", "stays\n");
  auto run = Tool({"gio", "trash", dir + "/trashme.txt"}, dir);
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  const std::string trash = m_.mountpoint() + "/.Trash-" + std::to_string(getuid());
  EXPECT_EQ(ReadFile(trash + "/files/trashme.txt"), "into the trash\n");
  EXPECT_TRUE(Exists(trash + "/info/trashme.txt.trashinfo"));
  CheckAll("trash", {.files = {{"keep.txt", "stays\n"}}, .deleted = {"trashme.txt"}});
  EXPECT_EQ(ReadFile(trash + "/files/trashme.txt"), "into the trash\n");
}

// ---- concurrency ----

std::string Numbered(int writer, int i) {
  return "writer " + std::to_string(writer) + " file " + std::to_string(i) + "\n" + std::string(i * 7, 'a' + writer);
}

TEST_F(Editors, TwoProcessesWriteDifferentFilesAtOnce) {
  const std::string dir = Folder("parallel");
  constexpr int kFiles = 200;
  std::vector<pid_t> pids;
  for (int w = 0; w < 2; ++w) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      int failures = 0;
      for (int i = 0; i < kFiles; ++i) {
        const std::string path = dir + "/w" + std::to_string(w) + "-" + std::to_string(i) + ".txt";
        const std::string data = Numbered(w, i);
        int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0) {
          ++failures;
          continue;
        }
        if (write(fd, data.data(), data.size()) != static_cast<ssize_t>(data.size())) ++failures;
        if (close(fd) != 0) ++failures;
      }
      _exit(failures > 0 ? 1 : 0);
    }
    pids.push_back(pid);
  }
  for (pid_t pid : pids) {
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "a writer failed";
  }
  Want want;
  for (int w = 0; w < 2; ++w) {
    for (int i = 0; i < kFiles; ++i)
      want.files["w" + std::to_string(w) + "-" + std::to_string(i) + ".txt"] = Numbered(w, i);
  }
  CheckAll("parallel", want);
}

// The writer saves the way gio, sed and rsync do (a temp file renamed over
// the target); readers open, read and close the target meanwhile. Each
// version is big enough to need several FUSE reads.
std::string Version(int k) {
  std::string text = "version " + std::to_string(k) + "\n";
  text += std::string(300 * 1024, static_cast<char>('A' + k % 26));
  return text + "end of version " + std::to_string(k) + "\n";
}

TEST_F(Editors, ReadersSeeACompleteOldOrNewVersionWhileAWriterSaves) {
  const std::string dir = Folder("readers");
  const std::string target = dir + "/doc.txt";
  PutFile(target, Version(0));
  constexpr int kSaves = 40;
  std::atomic<bool> writing{true};
  std::atomic<int> reads{0}, torn{0}, failed{0};
  std::string bad_sample, open_error;
  std::mutex bad_mu;
  auto reader = [&] {
    while (writing.load() || reads.load() < 20) {
      int fd = open(target.c_str(), O_RDONLY);
      if (fd < 0) {
        if (failed++ == 0) {
          std::scoped_lock lock(bad_mu);
          open_error = std::strerror(errno);
        }
        continue;
      }
      std::string data;
      char buf[65536];
      ssize_t n;
      while ((n = read(fd, buf, sizeof buf)) > 0) data.append(buf, static_cast<size_t>(n));
      close(fd);
      ++reads;
      const int k = std::atoi(data.c_str() + std::min<size_t>(data.size(), 8));
      if (data.rfind("version ", 0) != 0 || data != Version(k)) {
        ++torn;
        std::scoped_lock lock(bad_mu);
        if (bad_sample.empty()) {
          // Head and tail tell which versions a torn read mixed (and
          // whether it is a new version cut to an old size).
          bad_sample = std::to_string(data.size()) + " bytes, head '" + core::Printable(data.substr(0, 20), 40) +
                       "', tail '" + core::Printable(data.substr(data.size() > 20 ? data.size() - 20 : 0), 40) + "'";
        }
      }
    }
  };
  std::thread r1(reader), r2(reader);
  int save_errors = 0;
  for (int k = 1; k <= kSaves; ++k) {
    const std::string temp = dir + "/.goutputstream-" + std::string(6, static_cast<char>('a' + k % 26));
    const std::string data = Version(k);
    int fd = open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (fd < 0 || write(fd, data.data(), data.size()) != static_cast<ssize_t>(data.size()) || fsync(fd) != 0 ||
        close(fd) != 0 || rename(temp.c_str(), target.c_str()) != 0) {
      ++save_errors;
    }
  }
  writing = false;
  r1.join();
  r2.join();
  EXPECT_EQ(save_errors, 0);
  EXPECT_EQ(failed.load(), 0) << "opens failed, the first with: " << open_error;
  EXPECT_EQ(torn.load(), 0) << "of " << reads.load() << " reads; e.g. " << bad_sample;
  CheckAll("readers", {.files = {{"doc.txt", Version(kSaves)}}});
}

// ---- another author's ~@ folder ----

TEST_F(Editors, OthersTildeFolderRefusesShellAndVim) {
  const std::string other_key = Scratch("matt.json");
  auto key = RunProgram({EsfsBinary(), "keygen", "matt", "--out", other_key});
  ASSERT_EQ(key.exit_code, 0) << key.err;
  const std::string matt = key.out.substr(0, key.out.find('\n'));
  const std::string doc_path = "/perm/~" + matt + "/note.txt";
  auto put =
      RunProgram({EsfsBinary(), "--data", m_.data_dir(), "--key", other_key, "put", MountedEsfs::kWorkspace, doc_path},
                 "Matt's note\n");
  ASSERT_EQ(put.exit_code, 0) << put.err;
  const std::string dir = m_.Path("perm/~" + matt);
  ASSERT_TRUE(WaitFor([&] { return ReadFile(dir + "/note.txt") == "Matt's note\n"; }));

  auto overwrite = Tool({"sh", "-c", "echo mine > note.txt"}, dir);
  EXPECT_NE(overwrite.exit_code, 0);
  EXPECT_NE(overwrite.err.find("Permission denied"), npos) << overwrite.err;
  auto create = Tool({"sh", "-c", "echo mine > new.txt"}, dir);
  EXPECT_NE(create.exit_code, 0);
  EXPECT_NE(create.err.find("Permission denied"), npos) << create.err;
  // vim cannot save, not even with :w!, and leaves nothing behind.
  auto vim = Tool(Vim("", "Goa line by suzy", {"w!", "qa!"}), dir, "", true);
  EXPECT_NE(vim.exit_code, 0) << vim.out << vim.err;

  auto check = [&] {
    EXPECT_EQ(ReadFile(dir + "/note.txt"), "Matt's note\n");
    EXPECT_EQ(Tree(m_.Path("perm")), (std::set<std::string>{"~" + matt + "/", "~" + matt + "/note.txt"}))
        << "vim's trace:\n"
        << vim.trace;
    CheckStore({{doc_path, "Matt's note\n"}}, {}, {{doc_path, matt}});
  };
  check();
  EXPECT_NE(m_.LogText().find("belongs to another author"), npos);
  ASSERT_TRUE(m_.Remount());
  check();
}

}  // namespace
}  // namespace esfs::testing
