// The local-only area: plain files and folders under <data>/local, reached
// only relative to the area's directory fd and never through a symbolic
// link (fs/local_path.h).
#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <utility>

#include "core/printable.h"
#include "fs/local_path.h"

namespace esfs::fs {
namespace {

Status ErrnoStatus(int e, const std::string& what, const std::string& path) {
  std::string message = what + " " + core::Printable(path) + ": " + std::strerror(e);
  // ENOTDIR: a file where a folder on the way should be, so no such thing.
  if (e == ENOENT || e == ENOTDIR) return Status::NotFound(message);
  if (e == ENOSPC || e == EDQUOT) return Status::NoSpace(message + " (the disk is full)");
  if (e == ELOOP || e == EXDEV) {
    return Status::PermissionDenied(message + " (a symbolic link in the local area is never followed)");
  }
  if (e == EACCES || e == EPERM) return Status::PermissionDenied(message);
  if (e == EEXIST) return Status::AlreadyExists(message);
  if (e == ENOTEMPTY) return Status::NotEmpty(message);
  if (e == ENAMETOOLONG) return Status::NameTooLong(message);
  return Status::IoError(message);
}

Status Errno(const std::string& what, const LocalRelPath& path) { return ErrnoStatus(errno, what, path.Joined()); }

// Closes an fd on scope exit.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

constexpr int kDirFlags = O_DIRECTORY | O_RDONLY | O_CLOEXEC | O_NOFOLLOW;

// Whether openat2 works here: it is tried once, then only the walk is used.
std::atomic<bool> g_openat2_missing{false};

// openat2 below |root| with no link, no "..", no magic link anywhere on the
// way; -1 with errno ENOSYS where the kernel lacks it.
int OpenBeneath(int root, const std::string& relative) {
  if (g_openat2_missing.load(std::memory_order_relaxed)) {
    errno = ENOSYS;
    return -1;
  }
  struct open_how how {};
  how.flags = kDirFlags;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  int fd;
  do {
    fd = static_cast<int>(::syscall(SYS_openat2, root, relative.c_str(), &how, sizeof how));
  } while (fd < 0 && errno == EAGAIN);
  if (fd < 0 && (errno == ENOSYS || errno == E2BIG)) {
    g_openat2_missing.store(true, std::memory_order_relaxed);
    errno = ENOSYS;
  }
  return fd;
}

// A random temp name ".esfs-tmp-XXXXXXXX".
std::string TempName() {
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  unsigned char bytes[8];
  if (::getrandom(bytes, sizeof bytes, 0) != static_cast<ssize_t>(sizeof bytes)) {
    static std::atomic<uint64_t> counter{0};
    const uint64_t n = counter.fetch_add(1) ^ static_cast<uint64_t>(::getpid()) << 32;
    std::memcpy(bytes, &n, sizeof bytes);
  }
  std::string name(kLocalTempPrefix);
  for (unsigned char b : bytes) name.push_back(kAlphabet[b % (sizeof kAlphabet - 1)]);
  return name;
}

Status WriteAll(int fd, std::string_view data, const LocalRelPath& path) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Errno("cannot write", path);
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

}  // namespace

LocalRoot::LocalRoot(std::string dir) : dir_(std::move(dir)) { (void)RootFd(false); }

LocalRoot::~LocalRoot() {
  if (fd_ >= 0) ::close(fd_);
}

Result<int> LocalRoot::RootFd(bool create) const {
  if (int fd = fd_.load(std::memory_order_acquire); fd >= 0) return fd;
  std::scoped_lock lock(open_mu_);
  if (int fd = fd_.load(std::memory_order_acquire); fd >= 0) return fd;
  if (create) {
    // The root is configuration (the data folder), not document text:
    // made as a plain mkdir -p would.
    for (size_t slash = dir_.find('/', 1); slash != std::string::npos; slash = dir_.find('/', slash + 1)) {
      ::mkdir(dir_.substr(0, slash).c_str(), 0755);
    }
    ::mkdir(dir_.c_str(), 0755);
  }
  const int fd = ::open(dir_.c_str(), kDirFlags);
  if (fd < 0) return ErrnoStatus(errno, "cannot open the local area", dir_);
  fd_.store(fd, std::memory_order_release);
  return fd;
}

Result<int> LocalRoot::OpenDir(const LocalRelPath& path, bool create) const {
  auto root = RootFd(create);
  if (!root.ok()) return root.status();
  int fd = OpenBeneath(*root, path.Joined());
  if (fd >= 0) return fd;
  if (errno != ENOSYS && !(create && errno == ENOENT)) return Errno("cannot open folder", path);
  // The walk: one component at a time, never following a link.
  int current = ::fcntl(*root, F_DUPFD_CLOEXEC, 0);
  if (current < 0) return Errno("cannot open folder", path);
  for (const auto& name : path.components()) {
    int next = ::openat(current, name.c_str(), kDirFlags);
    if (next < 0 && errno == ENOENT && create) {
      if (::mkdirat(current, name.c_str(), 0755) == 0 || errno == EEXIST) {
        next = ::openat(current, name.c_str(), kDirFlags);
      }
    }
    const int e = errno;
    ::close(current);
    if (next < 0) return ErrnoStatus(e, "cannot open folder", path.Joined());
    current = next;
  }
  return current;
}

bool LocalRoot::Stat(const LocalRelPath& path, struct stat* st) const {
  if (path.IsRoot()) {
    auto root = RootFd(false);
    return root.ok() && ::fstat(*root, st) == 0;
  }
  auto parent = OpenDir(path.Parent(), false);
  if (!parent.ok()) return false;
  Fd dir(*parent);
  return ::fstatat(dir.get(), path.Name().c_str(), st, AT_SYMLINK_NOFOLLOW) == 0;
}

Result<std::string> LocalRoot::ReadFile(const LocalRelPath& path) const {
  if (path.IsRoot()) return Status::InvalidArgument("the local area is a folder");
  auto parent = OpenDir(path.Parent(), false);
  if (!parent.ok()) return parent.status();
  Fd dir(*parent);
  Fd file(::openat(dir.get(), path.Name().c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
  if (file.get() < 0) return Errno("cannot read", path);
  struct stat st;
  if (::fstat(file.get(), &st) != 0) return Errno("cannot read", path);
  if (!S_ISREG(st.st_mode))
    return Status::PermissionDenied("cannot read " + core::Printable(path.Joined()) + ": not a regular file");
  std::string data;
  char buf[65536];
  while (true) {
    ssize_t n = ::read(file.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Errno("cannot read", path);
    if (n == 0) break;
    data.append(buf, static_cast<size_t>(n));
  }
  return data;
}

Status LocalRoot::WriteFileAtomic(const LocalRelPath& path, std::string_view data, mode_t mode) const {
  if (path.IsRoot()) return Status::InvalidArgument("the local area is a folder");
  auto parent = OpenDir(path.Parent(), true);
  if (!parent.ok()) return parent.status();
  Fd dir(*parent);
  std::string temp;
  int fd = -1;
  for (int attempt = 0; attempt < 100 && fd < 0; ++attempt) {
    temp = TempName();
    fd = ::openat(dir.get(), temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0 && errno != EEXIST) break;
  }
  if (fd < 0) return Errno("cannot write", path);
  Fd file(fd);
  ::fchmod(file.get(), mode & 07777);
  Status written = WriteAll(file.get(), data, path);
  if (written.ok() && (::fsync(file.get()) != 0 || ::close(file.release()) != 0)) {
    written = Errno("cannot write", path);
  }
  if (written.ok() && ::renameat(dir.get(), temp.c_str(), dir.get(), path.Name().c_str()) != 0) {
    written = Errno("cannot write", path);
  }
  if (!written.ok()) ::unlinkat(dir.get(), temp.c_str(), 0);
  return written;
}

Status LocalRoot::MakeDirs(const LocalRelPath& path) const {
  auto dir = OpenDir(path, true);
  if (!dir.ok()) return dir.status();
  ::close(*dir);
  return Status::Ok();
}

Result<std::vector<std::pair<std::string, bool>>> LocalRoot::ListDir(const LocalRelPath& path) const {
  std::vector<std::pair<std::string, bool>> entries;
  auto fd = OpenDir(path, false);
  if (!fd.ok()) {
    if (fd.status().code() == StatusCode::kNotFound) return entries;
    return fd.status();
  }
  DIR* d = ::fdopendir(*fd);
  if (d == nullptr) {
    ::close(*fd);
    return Errno("cannot list", path);
  }
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == ".." || name.starts_with(kLocalTempPrefix)) continue;
    struct stat st;
    const bool is_dir = ::fstatat(::dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
    entries.emplace_back(std::move(name), is_dir);
  }
  ::closedir(d);
  return entries;
}

Status LocalRoot::Unlink(const LocalRelPath& path) const {
  if (path.IsRoot()) return Status::InvalidArgument("the local area is a folder");
  auto parent = OpenDir(path.Parent(), false);
  if (!parent.ok()) return parent.status();
  Fd dir(*parent);
  if (::unlinkat(dir.get(), path.Name().c_str(), 0) != 0) return Errno("cannot delete", path);
  return Status::Ok();
}

Status LocalRoot::Rmdir(const LocalRelPath& path) const {
  if (path.IsRoot()) return Status::InvalidArgument("the local area is a folder");
  auto parent = OpenDir(path.Parent(), false);
  if (!parent.ok()) return parent.status();
  Fd dir(*parent);
  if (::unlinkat(dir.get(), path.Name().c_str(), AT_REMOVEDIR) != 0) return Errno("cannot remove folder", path);
  return Status::Ok();
}

Status LocalRoot::Rename(const LocalRelPath& from, const LocalRelPath& to) const {
  if (from.IsRoot() || to.IsRoot()) return Status::InvalidArgument("the local area is a folder");
  auto from_parent = OpenDir(from.Parent(), false);
  if (!from_parent.ok()) return from_parent.status();
  Fd from_dir(*from_parent);
  auto to_parent = OpenDir(to.Parent(), true);
  if (!to_parent.ok()) return to_parent.status();
  Fd to_dir(*to_parent);
  if (::renameat(from_dir.get(), from.Name().c_str(), to_dir.get(), to.Name().c_str()) != 0) {
    return Errno("cannot move", from);
  }
  return Status::Ok();
}

Status LocalRoot::Chmod(const LocalRelPath& path, mode_t mode) const {
  if (path.IsRoot()) return Status::InvalidArgument("the local area is not changed through the mount");
  auto parent = OpenDir(path.Parent(), false);
  if (!parent.ok()) return parent.status();
  Fd dir(*parent);
  // O_NOFOLLOW: a link fails with ELOOP; O_NONBLOCK: a FIFO does not block.
  Fd target(::openat(dir.get(), path.Name().c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
  if (target.get() < 0) return Errno("cannot chmod", path);
  if (::fchmod(target.get(), mode & 07777) != 0) return Errno("cannot chmod", path);
  return Status::Ok();
}

Status LocalRoot::SetMtime(const LocalRelPath& path, int64_t mtime_ns) const {
  return SetTimes(path, std::nullopt, mtime_ns);
}

Status LocalRoot::SetTimes(const LocalRelPath& path, std::optional<int64_t> atime_ns,
                           std::optional<int64_t> mtime_ns) const {
  if (path.IsRoot()) return Status::InvalidArgument("the local area is not changed through the mount");
  auto parent = OpenDir(path.Parent(), false);
  if (!parent.ok()) return parent.status();
  Fd dir(*parent);
  auto to_timespec = [](std::optional<int64_t> ns) {
    struct timespec t;
    t.tv_sec = ns ? static_cast<time_t>(*ns / 1'000'000'000) : 0;
    t.tv_nsec = ns ? static_cast<long>(*ns % 1'000'000'000) : UTIME_OMIT;
    return t;
  };
  const struct timespec times[2] = {to_timespec(atime_ns), to_timespec(mtime_ns)};
  if (::utimensat(dir.get(), path.Name().c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) {
    return Errno("cannot set the time of", path);
  }
  return Status::Ok();
}

}  // namespace esfs::fs

// ---- LocalArea ----

#include "fs/local_area.h"

namespace esfs::fs {

LocalArea::LocalArea(const std::string& data_dir, Log log)
    : root_(data_dir + "/local"), names_(data_dir, log), log_(std::move(log)) {
  // <data>/local is opened now and kept open for the mount's life.
  if (Status s = root_.MakeDirs(LocalRelPath()); !s.ok() && log_) log_(s.message());
}

bool LocalArea::LocalOnly(const Location& loc) const {
  if (loc.IsRootLocal()) return true;
  if (loc.IsMountRoot() || loc.IsHistory()) return false;
  return names_.FirstLocal(loc.ws, loc.parts) < loc.parts.size();
}

Result<LocalRelPath> LocalArea::CheckedPath(const Location& loc, const char* operation) const {
  auto path = LocalRelOf(loc);
  if (!path.ok() && log_) {
    log_(std::string(operation) + " " + Describe(loc) + ": refused, nothing written: " + path.status().message());
  }
  return path;
}

bool LocalArea::Stat(const Location& loc, struct stat* st) const {
  auto path = LocalRelOf(loc);
  return path.ok() && root_.Stat(*path, st);
}

void LocalArea::NoteChange(const Location& loc) {
  if (loc.parts.size() == 1 && loc.parts[0] == kIgnoreFileName) names_.Changed(loc.ws);
}

}  // namespace esfs::fs
