// The FUSE low-level callbacks: decode the request, make one call into
// FileSystem, reply exactly once. errno appears only here and in
// errno_map.cc. No callback touches the network.
#include "fs/fuse_ops.h"

#define FUSE_USE_VERSION 34
#include <fuse_lowlevel.h>

#include <fcntl.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "fs/errno_map.h"

namespace esfs::fs {
namespace {

constexpr double kCacheSeconds = 1.0;

FuseContext& Context(fuse_req_t req) { return *static_cast<FuseContext*>(fuse_req_userdata(req)); }
FileSystem& Fs(fuse_req_t req) { return Context(req).fs; }

// The one check before every request that would change something (sign
// a document, change a local file or an attribute): a caller who is not
// the mount's owner gets EACCES before FileSystem sees the request, so
// nothing is buffered or written (fs/owner_gate.h). True if refused (and
// answered).
bool RefusedToCaller(fuse_req_t req, const char* operation, fuse_ino_t ino, const char* name = nullptr) {
  const fuse_ctx* caller = fuse_req_ctx(req);
  Status s =
      Context(req).gate.Check(caller->uid, operation, [&] { return Fs(req).DescribeInode(ino, name ? name : ""); });
  if (s.ok()) return false;
  fuse_reply_err(req, EACCES);
  return true;
}

// How long the kernel may keep a name's entry, and the attributes. The
// attributes a close() leaves must be the ones every later stat shows, so
// attributes that a pending save will change are never cached: the first
// stat after the close asks again (fs_types.h, Attr::save_pending).
double EntrySeconds(const Attr& a) { return a.uncached ? 0.0 : kCacheSeconds; }
double AttrSeconds(const Attr& a) { return a.uncached || a.save_pending ? 0.0 : kCacheSeconds; }

struct stat ToStat(const Attr& a) {
  struct stat st {};
  st.st_ino = a.ino;
  st.st_mode = (a.is_dir ? S_IFDIR : S_IFREG) | a.mode;
  st.st_nlink = a.is_dir ? 2 : (a.unlinked ? 0 : 1);
  static const uid_t kUid = getuid();  // the mount's owner owns every file
  static const gid_t kGid = getgid();
  st.st_uid = kUid;
  st.st_gid = kGid;
  st.st_size = static_cast<off_t>(a.size);
  st.st_blksize = 4096;
  st.st_blocks = static_cast<blkcnt_t>((a.size + 511) / 512);
  auto to_timespec = [](int64_t ns) {
    struct timespec t;
    t.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
    t.tv_nsec = static_cast<long>(ns % 1'000'000'000);
    return t;
  };
  st.st_mtim = to_timespec(a.mtime_ns);
  st.st_atim = to_timespec(a.atime_ns != 0 ? a.atime_ns : a.mtime_ns);
  st.st_ctim = to_timespec(a.ctime_ns != 0 ? a.ctime_ns : a.mtime_ns);
  return st;
}

// |cache_absence|: a name that is not there may be cached as absent (a
// negative entry); if not, the kernel asks again next time.
void ReplyEntry(fuse_req_t req, const Result<Attr>& attr, bool cache_absence = true) {
  if (!attr.ok()) {
    if (attr.status().code() == StatusCode::kNotFound && cache_absence) {
      // A negative entry the kernel may cache briefly (editors probe a lot).
      fuse_entry_param e{};
      e.ino = 0;
      e.entry_timeout = kCacheSeconds;
      fuse_reply_entry(req, &e);
      return;
    }
    fuse_reply_err(req, ToErrno(attr.status()));
    return;
  }
  fuse_entry_param e{};
  e.ino = attr->ino;
  e.attr = ToStat(*attr);
  e.attr_timeout = AttrSeconds(*attr);
  e.entry_timeout = EntrySeconds(*attr);
  // The lookup was counted; a reply the kernel never got (the request was
  // interrupted) must not keep the inode alive forever.
  if (fuse_reply_entry(req, &e) != 0) Fs(req).Forget(attr->ino, 1);
}

void ReplyStatus(fuse_req_t req, const Status& s) { fuse_reply_err(req, s.ok() ? 0 : ToErrno(s)); }

// ---- the live view's replay (fs/replayer.h) ----
// A request of the replay thread (by its thread id), or on a handle it
// got: answered from the store, nothing signed or stored.
Replayer* ReplayCaller(fuse_req_t req) {
  Replayer* replayer = Context(req).replayer;
  if (replayer == nullptr || !replayer->IsReplayThread(fuse_req_ctx(req)->pid)) return nullptr;
  return replayer;
}
bool IsReplayHandle(fuse_req_t req, const fuse_file_info* fi) {
  return fi != nullptr && Context(req).replayer != nullptr && Replayer::IsReplayHandle(fi->fh);
}

// LOOKUP: a name about to be created looks absent (ENOENT, not cached: a
// name the kernel finds would be opened with no IN_CREATE); a name about
// to be unlinked looks present; anything else as it is.
bool ReplayLookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
  Replayer* replayer = ReplayCaller(req);
  if (replayer == nullptr) return false;
  const Replayer::Expect expect = replayer->ExpectFor(name);
  switch (expect) {
    case Replayer::Expect::kAsIs: return false;
    case Replayer::Expect::kAbsent: fuse_reply_err(req, ENOENT); return true;
    case Replayer::Expect::kPresentFile:
    case Replayer::Expect::kPresentFolder:
      ReplyEntry(req, Fs(req).ReplayPresentEntry(parent, name, expect == Replayer::Expect::kPresentFolder));
      return true;
  }
  return false;
}

// CREATE and MKDIR: the entry the store shows now; OPEN: a handle of the
// replay's own, direct I/O so that its byte never reaches the page cache.
bool ReplayCreate(fuse_req_t req, fuse_ino_t parent, const char* name, fuse_file_info* fi) {
  Replayer* replayer = ReplayCaller(req);
  if (replayer == nullptr) return false;
  auto attr = Fs(req).Lookup(parent, name);
  if (!attr.ok()) {
    fuse_reply_err(req, attr.status().code() == StatusCode::kNotFound ? ENOENT : ToErrno(attr.status()));
    return true;
  }
  // Not cached: the name may change kind or go at the next change (a file
  // "wiki" that becomes a folder), and the kernel must ask then, not trust
  // an entry the replay made.
  attr->uncached = true;
  Fs(req).ReplayMadeEntry(parent);
  fi->fh = replayer->NewHandle();
  fi->direct_io = 1;
  fi->keep_cache = 0;
  fi->noflush = 1;  // nothing to save at close: one round trip less
  fuse_entry_param e{};
  e.ino = attr->ino;
  e.attr = ToStat(*attr);
  e.attr_timeout = AttrSeconds(*attr);
  e.entry_timeout = EntrySeconds(*attr);
  if (fuse_reply_create(req, &e, fi) != 0) Fs(req).Forget(e.ino, 1);
  return true;
}

bool ReplayMkdir(fuse_req_t req, fuse_ino_t parent, const char* name) {
  if (ReplayCaller(req) == nullptr) return false;
  auto attr = Fs(req).Lookup(parent, name);
  if (!attr.ok()) {
    fuse_reply_err(req, attr.status().code() == StatusCode::kNotFound ? ENOENT : ToErrno(attr.status()));
    return true;
  }
  attr->uncached = true;  // as in ReplayCreate
  Fs(req).ReplayMadeEntry(parent);
  Context(req).replayer->AwaitScanOf(attr->ino);
  ReplyEntry(req, attr);
  return true;
}

bool ReplayOpen(fuse_req_t req, fuse_file_info* fi) {
  Replayer* replayer = ReplayCaller(req);
  if (replayer == nullptr) return false;
  fi->fh = replayer->NewHandle();
  fi->direct_io = 1;
  fi->keep_cache = 0;
  fi->noflush = 1;  // nothing to save at close: one round trip less
  fuse_reply_open(req, fi);
  return true;
}

// UNLINK and RMDIR: gone from the store already; the inode table forgets.
bool ReplayRemove(fuse_req_t req, fuse_ino_t parent, const char* name) {
  if (ReplayCaller(req) == nullptr) return false;
  Fs(req).ReplayRemoved(parent, name);
  fuse_reply_err(req, 0);
  return true;
}

void OpLookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
  if (ReplayLookup(req, parent, name)) return;
  bool cache_absence = true;
  auto attr = Fs(req).Lookup(parent, name, &cache_absence);
  ReplyEntry(req, attr, cache_absence);
}

void OpForget(fuse_req_t req, fuse_ino_t ino, uint64_t n) {
  Fs(req).Forget(ino, n);
  fuse_reply_none(req);
}

void OpForgetMulti(fuse_req_t req, size_t count, fuse_forget_data* forgets) {
  for (size_t i = 0; i < count; ++i) Fs(req).Forget(forgets[i].ino, forgets[i].nlookup);
  fuse_reply_none(req);
}

void OpGetattr(fuse_req_t req, fuse_ino_t ino, fuse_file_info*) {
  auto attr = Fs(req).GetAttr(ino);
  if (!attr.ok()) return (void)fuse_reply_err(req, ToErrno(attr.status()));
  struct stat st = ToStat(*attr);
  fuse_reply_attr(req, &st, AttrSeconds(*attr));
}

int64_t TimespecNs(const struct timespec& t) { return static_cast<int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec; }

void OpSetattr(fuse_req_t req, fuse_ino_t ino, struct stat* st, int to_set, fuse_file_info*) {
  if (ReplayCaller(req) != nullptr) {  // nothing is changed for a replay
    auto attr = Fs(req).GetAttr(ino);
    if (!attr.ok()) return (void)fuse_reply_err(req, ToErrno(attr.status()));
    struct stat out = ToStat(*attr);
    return (void)fuse_reply_attr(req, &out, 0);
  }
  if (RefusedToCaller(req, "setattr", ino)) return;
  SetAttrRequest r;
  if (to_set & FUSE_SET_ATTR_SIZE) r.size = static_cast<uint64_t>(st->st_size);
  if (to_set & FUSE_SET_ATTR_MODE) r.mode = st->st_mode & 07777;
  if (to_set & (FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID)) r.owner_change = true;
  // Each time on its own (UTIME_OMIT: not in |to_set|).
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  if (to_set & FUSE_SET_ATTR_MTIME_NOW) {
    r.mtime_ns = TimespecNs(now);
  } else if (to_set & FUSE_SET_ATTR_MTIME) {
    r.mtime_ns = TimespecNs(st->st_mtim);
  }
  if (to_set & FUSE_SET_ATTR_ATIME_NOW) {
    r.atime_ns = TimespecNs(now);
  } else if (to_set & FUSE_SET_ATTR_ATIME) {
    r.atime_ns = TimespecNs(st->st_atim);
  }
  auto attr = Fs(req).SetAttr(ino, r);
  if (!attr.ok()) return (void)fuse_reply_err(req, ToErrno(attr.status()));
  struct stat out = ToStat(*attr);
  fuse_reply_attr(req, &out, AttrSeconds(*attr));
}

void OpMkdir(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode) {
  if (ReplayMkdir(req, parent, name)) return;
  if (RefusedToCaller(req, "mkdir", parent, name)) return;
  ReplyEntry(req, Fs(req).Mkdir(parent, name, mode));
}

void OpUnlink(fuse_req_t req, fuse_ino_t parent, const char* name) {
  if (ReplayRemove(req, parent, name)) return;
  if (RefusedToCaller(req, "unlink", parent, name)) return;
  ReplyStatus(req, Fs(req).Unlink(parent, name));
}

void OpRmdir(fuse_req_t req, fuse_ino_t parent, const char* name) {
  if (ReplayRemove(req, parent, name)) return;
  if (RefusedToCaller(req, "rmdir", parent, name)) return;
  ReplyStatus(req, Fs(req).Rmdir(parent, name));
}

void OpRename(fuse_req_t req, fuse_ino_t parent, const char* name, fuse_ino_t newparent, const char* newname,
              unsigned int flags) {
  if (RefusedToCaller(req, "rename", parent, name)) return;
  if (flags & RENAME_EXCHANGE) return (void)fuse_reply_err(req, EINVAL);
  if (flags & ~static_cast<unsigned>(RENAME_NOREPLACE)) return (void)fuse_reply_err(req, EINVAL);
  ReplyStatus(req, Fs(req).Rename(parent, name, newparent, newname, (flags & RENAME_NOREPLACE) != 0));
}

// Symbolic and hard links have no es.4 form. EPERM is what tools expect
// from file systems without them (git falls back to rename, emacs locks
// without a symlink).
void OpSymlink(fuse_req_t req, const char*, fuse_ino_t, const char*) { fuse_reply_err(req, EPERM); }
void OpLink(fuse_req_t req, fuse_ino_t, fuse_ino_t, const char*) { fuse_reply_err(req, EPERM); }

void OpOpen(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  if (ReplayOpen(req, fi)) return;
  const bool for_writing = (fi->flags & O_ACCMODE) != O_RDONLY || (fi->flags & O_TRUNC) != 0;
  if (for_writing && RefusedToCaller(req, "open for writing", ino)) return;
  bool keep_cache = false;
  auto fh = Fs(req).Open(ino, fi->flags, &keep_cache);
  if (!fh.ok()) return (void)fuse_reply_err(req, ToErrno(fh.status()));
  fi->fh = *fh;
  fi->keep_cache = keep_cache ? 1 : 0;                                 // else every open sees the current document
  if (fuse_reply_open(req, fi) != 0) (void)Fs(req).Release(ino, *fh);  // no release will come
}

void OpCreate(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode, fuse_file_info* fi) {
  if (ReplayCreate(req, parent, name, fi)) return;
  if (RefusedToCaller(req, "create", parent, name)) return;
  auto created = Fs(req).Create(parent, name, mode, fi->flags);
  if (!created.ok()) return (void)fuse_reply_err(req, ToErrno(created.status()));
  fi->fh = created->second;
  fuse_entry_param e{};
  e.ino = created->first.ino;
  e.attr = ToStat(created->first);
  e.attr_timeout = AttrSeconds(created->first);
  e.entry_timeout = EntrySeconds(created->first);
  if (fuse_reply_create(req, &e, fi) != 0) {
    // Neither the entry nor the handle reached the kernel: undo both.
    (void)Fs(req).Release(e.ino, fi->fh);
    Fs(req).Forget(e.ino, 1);
  }
}

void OpRead(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi) {
  if (IsReplayHandle(req, fi)) return (void)fuse_reply_buf(req, nullptr, 0);
  // The reply copies straight from the open file's buffer to the kernel.
  Status s = Fs(req).Read(ino, fi->fh, size, off,
                          [req](std::string_view bytes) { fuse_reply_buf(req, bytes.data(), bytes.size()); });
  if (!s.ok()) fuse_reply_err(req, ToErrno(s));
}

void OpWrite(fuse_req_t req, fuse_ino_t ino, const char* buf, size_t size, off_t off, fuse_file_info* fi) {
  // Not checked here: only the owner can have opened |fi| for writing
  // (OpOpen, OpCreate), and the kernel sends the writes of a shared
  // mapping with the credentials of its flusher (uid 0), not the owner's.
  if (IsReplayHandle(req, fi)) return (void)fuse_reply_write(req, size);  // dropped
  auto written = Fs(req).Write(ino, fi->fh, std::string_view(buf, size), off);
  if (!written.ok()) return (void)fuse_reply_err(req, ToErrno(written.status()));
  fuse_reply_write(req, *written);
}

// A replay handle is not in OpenFiles: nothing to save or release.
void OpFlush(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  if (IsReplayHandle(req, fi)) return (void)fuse_reply_err(req, 0);
  ReplyStatus(req, Fs(req).Flush(ino, fi->fh));
}

void OpRelease(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  if (IsReplayHandle(req, fi)) return (void)fuse_reply_err(req, 0);
  ReplyStatus(req, Fs(req).Release(ino, fi->fh));
}

void OpFsync(fuse_req_t req, fuse_ino_t ino, int, fuse_file_info* fi) {
  if (IsReplayHandle(req, fi)) return (void)fuse_reply_err(req, 0);
  ReplyStatus(req, Fs(req).Fsync(ino, fi->fh));
}

// A folder handle holds a snapshot, so that listings stay stable while
// entries are deleted (rm -r reads a folder while emptying it).
struct DirSnapshot {
  std::vector<ListedEntry> entries;
};

void OpOpendir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  auto entries = Fs(req).ReadDir(ino);
  if (!entries.ok()) return (void)fuse_reply_err(req, ToErrno(entries.status()));
  auto* snapshot = new DirSnapshot{std::move(entries.value())};
  fi->fh = reinterpret_cast<uint64_t>(snapshot);
  // A watcher scanning a folder the replay made (Replayer::WaitForScan).
  if (Replayer* replayer = Context(req).replayer; replayer != nullptr && ReplayCaller(req) == nullptr) {
    replayer->FolderOpened(ino);
  }
  fuse_reply_open(req, fi);
}

void OpReaddir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi) {
  auto* snapshot = reinterpret_cast<DirSnapshot*>(fi->fh);
  std::vector<char> buf(size);
  size_t used = 0;
  // Offsets: 0 ".", 1 "..", then entries from 2.
  const size_t total = snapshot->entries.size() + 2;
  for (size_t i = static_cast<size_t>(off); i < total; ++i) {
    struct stat st {};
    std::string name;
    if (i == 0) {
      name = ".", st.st_mode = S_IFDIR, st.st_ino = ino;
    } else if (i == 1) {
      name = "..", st.st_mode = S_IFDIR, st.st_ino = 1;
    } else {
      const auto& e = snapshot->entries[i - 2];
      name = e.name;
      st.st_mode = e.is_dir ? S_IFDIR : S_IFREG;
      st.st_ino = e.ino ? e.ino : 0xffffffff;
    }
    size_t need = fuse_add_direntry(req, buf.data() + used, size - used, name.c_str(), &st, static_cast<off_t>(i + 1));
    if (need > size - used) break;
    used += need;
  }
  fuse_reply_buf(req, buf.data(), used);
}

void OpReleasedir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  delete reinterpret_cast<DirSnapshot*>(fi->fh);
  if (Replayer* replayer = Context(req).replayer) replayer->FolderClosed(ino);
  fuse_reply_err(req, 0);  // |req| is gone after this
}

void OpStatfs(fuse_req_t req, fuse_ino_t) {
  auto st = Fs(req).StatFs();
  if (!st.ok()) return (void)fuse_reply_err(req, ToErrno(st.status()));
  fuse_reply_statfs(req, &*st);
}

// Extended attributes: the winning document's metadata, read-only
// (user.earthstar.*). Others are not stored: ENOTSUP, which vim, cp -a and
// rsync tolerate (system.posix_acl_* included).
void ReplyXattrValue(fuse_req_t req, const std::string& value, size_t size) {
  if (size == 0) return (void)fuse_reply_xattr(req, value.size());
  if (size < value.size()) return (void)fuse_reply_err(req, ERANGE);
  fuse_reply_buf(req, value.data(), value.size());
}

void OpGetxattr(fuse_req_t req, fuse_ino_t ino, const char* name, size_t size) {
  auto attrs = Fs(req).Xattrs(ino);
  if (!attrs.ok()) return (void)fuse_reply_err(req, ToErrno(attrs.status()));
  for (const auto& [n, v] : *attrs) {
    if (n == name) return ReplyXattrValue(req, v, size);
  }
  fuse_reply_err(req, ENODATA);
}

void OpListxattr(fuse_req_t req, fuse_ino_t ino, size_t size) {
  auto attrs = Fs(req).Xattrs(ino);
  if (!attrs.ok()) return (void)fuse_reply_err(req, ToErrno(attrs.status()));
  std::string names;
  for (const auto& [n, v] : *attrs) names += n + std::string(1, '\0');
  ReplyXattrValue(req, names, size);
}

void OpSetxattr(fuse_req_t req, fuse_ino_t ino, const char* name, const char*, size_t, int) {
  if (RefusedToCaller(req, "setxattr", ino)) return;
  fuse_reply_err(req, ToErrno(Fs(req).RefuseXattrChange(ino, name)));
}

void OpRemovexattr(fuse_req_t req, fuse_ino_t ino, const char* name) {
  if (RefusedToCaller(req, "removexattr", ino)) return;
  // An attribute that is not stored cannot be removed: ENODATA, as for
  // any attribute that is not there.
  Status s = Fs(req).RefuseXattrChange(ino, name);
  fuse_reply_err(req, s.code() == StatusCode::kNotSupported ? ENODATA : ToErrno(s));
}

// No exception may cross into libfuse (C code): each callback runs behind
// this guard, which logs the surprise and answers EIO.
template <auto Fn>
struct Guarded;
template <typename... Args, void (*Fn)(fuse_req_t, Args...)>
struct Guarded<Fn> {
  static void Call(fuse_req_t req, Args... args) {
    try {
      Fn(req, args...);
    } catch (const std::exception& e) {
      Fs(req).LogLine(std::string("internal error in a file system call: ") + e.what());
      fuse_reply_err(req, EIO);
    } catch (...) {
      Fs(req).LogLine("internal error in a file system call");
      fuse_reply_err(req, EIO);
    }
  }
};

// Pages are dropped by explicit invalidations (the change feed) and by
// opens of files whose winner changed (keep_cache = 0). The kernel's own
// rule, "mtime changed: drop the pages", would throw away the pages of
// every file this mount just saved, since a save gives the file its new
// document's timestamp.
void OpInit(void*, fuse_conn_info* conn) { conn->want &= ~FUSE_CAP_AUTO_INVAL_DATA; }

}  // namespace

const fuse_lowlevel_ops& FuseOps() {
  static const fuse_lowlevel_ops kOps = [] {
    fuse_lowlevel_ops o{};
    o.init = OpInit;
    o.lookup = Guarded<OpLookup>::Call;
    o.forget = Guarded<OpForget>::Call;
    o.forget_multi = Guarded<OpForgetMulti>::Call;
    o.getattr = Guarded<OpGetattr>::Call;
    o.setattr = Guarded<OpSetattr>::Call;
    o.mkdir = Guarded<OpMkdir>::Call;
    o.unlink = Guarded<OpUnlink>::Call;
    o.rmdir = Guarded<OpRmdir>::Call;
    o.rename = Guarded<OpRename>::Call;
    o.symlink = Guarded<OpSymlink>::Call;
    o.link = Guarded<OpLink>::Call;
    o.open = Guarded<OpOpen>::Call;
    o.create = Guarded<OpCreate>::Call;
    o.read = Guarded<OpRead>::Call;
    o.write = Guarded<OpWrite>::Call;
    o.flush = Guarded<OpFlush>::Call;
    o.release = Guarded<OpRelease>::Call;
    o.fsync = Guarded<OpFsync>::Call;
    o.opendir = Guarded<OpOpendir>::Call;
    o.readdir = Guarded<OpReaddir>::Call;
    o.releasedir = Guarded<OpReleasedir>::Call;
    o.statfs = Guarded<OpStatfs>::Call;
    o.getxattr = Guarded<OpGetxattr>::Call;
    o.listxattr = Guarded<OpListxattr>::Call;
    o.setxattr = Guarded<OpSetxattr>::Call;
    o.removexattr = Guarded<OpRemovexattr>::Call;
    return o;
  }();
  return kOps;
}

}  // namespace esfs::fs
