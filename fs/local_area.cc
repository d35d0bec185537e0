// The local-only area: plain files and folders under <data>/local.
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "fs/filesystem_internal.h"

namespace esfs::fs::local {
namespace {

Status Errno(const std::string& what, const std::string& path) {
  const int e = errno;
  std::string message = what + " " + path + ": " + std::strerror(e);
  if (e == ENOENT) return Status::NotFound(message);
  if (e == ENOSPC) return Status::Storage(message + " (the disk is full)");
  if (e == EACCES || e == EPERM) return Status::PermissionDenied(message);
  if (e == EEXIST) return Status::AlreadyExists(message);
  return Status::IoError(message);
}

}  // namespace

Status MakeDirs(const std::string& dir) {
  // Usually the folder or its parent exists already: try the deepest
  // first and walk up only on ENOENT (every local write calls this).
  if (dir.empty() || ::mkdir(dir.c_str(), 0755) == 0 || errno == EEXIST) return Status::Ok();
  if (errno != ENOENT) return Errno("cannot create folder", dir);
  const size_t slash = dir.rfind('/');
  if (slash == std::string::npos || slash == 0) return Errno("cannot create folder", dir);
  if (Status s = MakeDirs(dir.substr(0, slash)); !s.ok()) return s;
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return Errno("cannot create folder", dir);
  return Status::Ok();
}

Result<std::string> ReadFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return Errno("cannot read", path);
  std::string data;
  char buf[65536];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      Status s = Errno("cannot read", path);
      ::close(fd);
      return s;
    }
    if (n == 0) break;
    data.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return data;
}

Status WriteFileAtomic(const std::string& path, const std::string& data, mode_t mode) {
  const size_t slash = path.rfind('/');
  if (Status s = MakeDirs(path.substr(0, slash)); !s.ok()) return s;
  std::string temp = path.substr(0, slash + 1) + ".esfs-tmp-XXXXXX";
  int fd = ::mkstemp(temp.data());
  if (fd < 0) return Errno("cannot write", path);
  ::fchmod(fd, mode & 07777);
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      Status s = Errno("cannot write", path);
      ::close(fd);
      ::unlink(temp.c_str());
      return s;
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    Status s = Errno("cannot write", path);
    ::unlink(temp.c_str());
    return s;
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    Status s = Errno("cannot write", path);
    ::unlink(temp.c_str());
    return s;
  }
  return Status::Ok();
}

bool Stat(const std::string& path, struct stat* st) { return ::lstat(path.c_str(), st) == 0; }

Result<std::vector<std::pair<std::string, bool>>> ListDir(const std::string& dir) {
  std::vector<std::pair<std::string, bool>> entries;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    if (errno == ENOENT || errno == ENOTDIR) return entries;
    return Errno("cannot list", dir);
  }
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == ".." || name.rfind(".esfs-tmp-", 0) == 0) continue;
    struct stat st;
    const bool is_dir = ::lstat((dir + "/" + name).c_str(), &st) == 0 && S_ISDIR(st.st_mode);
    entries.emplace_back(std::move(name), is_dir);
  }
  ::closedir(d);
  return entries;
}

}  // namespace esfs::fs::local
