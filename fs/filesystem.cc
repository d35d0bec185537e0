// The facade's set-up and the lookup/attribute group: lookup, forget,
// getattr, xattrs, statfs, and the change feed's invalidations.
#include "fs/filesystem.h"

#include <algorithm>
#include <ctime>

#include "core/printable.h"

namespace esfs::fs {

int64_t WallClockNs() {
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  return int64_t{now.tv_sec} * 1'000'000'000 + now.tv_nsec;
}

namespace {

Location RootLocation(const MountConfig& config) {
  Location root;
  if (config.single_workspace) root.ws = *config.single_workspace;
  return root;
}

// The attempts a lookup makes while folders keep moving under it.
constexpr int kLookupAttempts = 8;

}  // namespace

FileSystem::FileSystem(core::Store& store, const core::Signer& signer, MountConfig config)
    : store_(store),
      config_(std::move(config)),
      mount_time_ns_(WallClockNs()),
      local_(config_.data_dir, [this](const std::string& l) { Log(l); }),
      history_(store_, mount_time_ns_),
      resolver_(store_, local_, history_, signer.address(), [this](const std::string& l) { Log(l); }),
      publisher_(store_, signer, config_.ephemeral_lifetime_us, {}, &own_writes_),
      inodes_(RootLocation(config_)),
      invalidator_(inodes_, resolver_, config_.single_workspace) {}

FileSystem::~FileSystem() = default;

void FileSystem::Log(const std::string& line) const {
  if (config_.log) config_.log(line);
}

// ---- attributes ----

Result<Attr> FileSystem::AttrOf(Node& node, bool no_local_file) {
  const InodeTable::NodeFacts facts = inodes_.Facts(node);
  const Location& loc = facts.loc;
  Attr attr;
  attr.ino = node.ino;
  attr.is_dir = facts.is_dir;
  attr.unlinked = facts.unlinked && !facts.is_dir;
  const bool writable = resolver_.Writable(loc);
  attr.mode = facts.is_dir ? (writable ? 0755 : 0555) : (writable ? kDefaultFileMode : 0444);
  if (loc.IsHistory()) {
    if (Status s = history_.Fill(loc, &attr); !s.ok()) return s;
    return attr;
  }
  if (!facts.is_dir) return FileAttr(node, loc, attr, writable, no_local_file);
  Overrides overrides = OverridesOf(node);
  attr.mtime_ns = attr.atime_ns = attr.ctime_ns = mount_time_ns_;
  // The local folder's times and mode (touch, cp -a, rsync), if it has one.
  struct stat st;
  if (!loc.IsMountRoot() && local_.Stat(loc, &st)) {
    SetTimesFromStat(st, &attr);
    if (writable) attr.mode = st.st_mode & 07777;
  }
  // Its entries changed later (a published file came or went).
  if (auto changed = folder_times_.Get(loc)) {
    attr.mtime_ns = std::max(attr.mtime_ns, *changed);
    attr.ctime_ns = std::max(attr.ctime_ns, *changed);
  }
  ApplyOverrides(overrides, writable, &attr);
  return attr;
}

void FileSystem::EntriesChanged(const Location& folder) {
  // The kernel's coarse clock, which it stamps the local folder's ctime
  // with: the time kept here is then never later than what the local
  // folder shows after a remount.
  struct timespec coarse;
  clock_gettime(CLOCK_REALTIME_COARSE, &coarse);
  const int64_t now_ns = int64_t{coarse.tv_sec} * 1'000'000'000 + coarse.tv_nsec;
  folder_times_.Touch(folder, now_ns);
  if (std::shared_ptr<Node> node = inodes_.FindAt(folder)) {
    std::scoped_lock lock(node->mu);
    node->mtime_override.reset();
    if (node->ctime_override) node->ctime_override = std::max(*node->ctime_override, now_ns);
  }
  // A local folder keeps the time across a remount (atime as it is); most
  // folders have none, and that is no error.
  if (folder.IsMountRoot() || folder.IsHistory()) return;
  if (auto rel = LocalRelOf(folder); rel.ok() && !rel->IsRoot())
    (void)local_.root().SetTimes(*rel, std::nullopt, now_ns);
}

Result<Attr> FileSystem::FileAttr(Node& node, const Location& loc, Attr attr, bool writable, bool no_local_file) {
  bool loaded, dirty;
  Overrides overrides;
  {
    std::scoped_lock lock(node.mu);
    loaded = node.loaded;
    dirty = node.dirty;
    if (loaded) attr.size = node.content.size();
    attr.mtime_ns = attr.atime_ns = attr.ctime_ns = node.birth_ns;
    overrides = OverridesLocked(node);
    // Open for writing or not saved yet: what the kernel is told now
    // changes at the next commit (size, the new document's time), so it
    // must not keep these attributes (Attr::save_pending). After close
    // returned, it asks again and gets the saved file's attributes at once.
    attr.save_pending = node.writers > 0 || node.dirty;
  }
  const bool local_only = resolver_.LocalOnly(loc);
  // The mode of the local file: a local-only file's, or an empty file's
  // placeholder (used below when no document is there).
  std::optional<mode_t> local_mode;
  struct stat st;
  // An empty placeholder is the file's saved state unless the open buffer
  // holds unsaved changes: a file created and closed shows the
  // placeholder's times at once, also before the kernel's RELEASE (which
  // comes after close() returned) has reached us.
  if (!no_local_file && local_.Stat(loc, &st) && (local_only || st.st_size > 0 || !loaded || !dirty)) {
    if (!loaded) attr.size = static_cast<uint64_t>(st.st_size);
    SetTimesFromStat(st, &attr);
    local_mode = st.st_mode & 07777;
    if (local_only) attr.mode = *local_mode;
  }
  if (!local_only) {
    bool live = false;
    std::string signature;
    auto found = store_.replica().VisitWinner(
        loc.ws, loc.EsPath(),
        [&](const core::DocView& doc) {
          live = !doc.IsTombstone();
          if (!live) return;
          if (!loaded) attr.size = FileSize(loc, doc.content);
          // A published file's times are its document's, unless set here.
          attr.mtime_ns = attr.atime_ns = attr.ctime_ns = doc.timestamp * 1000;
          signature = doc.signature;
        },
        loaded ? core::Replica::WinnerUse::kMetadata : core::Replica::WinnerUse::kDecodedSize);
    if (!found.ok()) return found.status();
    if (!live && local_mode && writable) attr.mode = *local_mode;
    if (live) {
      auto local_attrs = store_.local().GetAttrs(loc.ws, loc.EsPath(), signature);
      if (local_attrs.ok() && local_attrs->has_value()) {
        const core::LocalAttrs& kept = **local_attrs;
        if (kept.mtime_ns) attr.mtime_ns = *kept.mtime_ns;
        attr.atime_ns = kept.atime_ns.value_or(attr.mtime_ns);
        if (kept.ctime_ns) attr.ctime_ns = std::max(attr.ctime_ns, *kept.ctime_ns);
        if (kept.mode && writable) attr.mode = *kept.mode & 07777;
      }
    }
  }
  ApplyOverrides(overrides, writable, &attr);
  return attr;
}

FileSystem::Overrides FileSystem::OverridesOf(Node& node) {
  std::scoped_lock lock(node.mu);
  return OverridesLocked(node);
}

FileSystem::Overrides FileSystem::OverridesLocked(const Node& node) {
  return {node.mode_override, node.mtime_override, node.atime_override, node.ctime_override};
}

void FileSystem::SetTimesFromStat(const struct stat& st, Attr* attr) {
  auto ns = [](const struct timespec& t) { return static_cast<int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec; };
  attr->mtime_ns = ns(st.st_mtim);
  attr->atime_ns = ns(st.st_atim);
  attr->ctime_ns = ns(st.st_ctim);
}

void FileSystem::ApplyOverrides(const Overrides& overrides, bool writable, Attr* attr) {
  if (overrides.mtime) attr->mtime_ns = *overrides.mtime;
  if (overrides.atime) attr->atime_ns = *overrides.atime;
  if (overrides.ctime) attr->ctime_ns = std::max(attr->ctime_ns, *overrides.ctime);
  if (overrides.mode && writable) attr->mode = *overrides.mode & 07777;
}

// ---- lookups ----

Result<Attr> FileSystem::Lookup(uint64_t parent_ino, const std::string& name, bool* absence_cacheable) {
  if (absence_cacheable != nullptr) *absence_cacheable = true;
  for (int attempt = 1;; ++attempt) {
    // The epoch first: a folder that moves after it makes Remember refuse,
    // and the name is resolved again against the moved tree.
    const uint64_t epoch = attempt < kLookupAttempts ? inodes_.epoch() : InodeTable::kAnyEpoch;
    auto parent = inodes_.Find(parent_ino);
    if (parent == nullptr) return Status::NotFound("stale inode");
    const InodeTable::NodeFacts parent_facts = inodes_.Facts(*parent);
    if (!parent_facts.is_dir) return Status::NotFound("no such folder");
    auto loc = resolver_.ChildLocation(parent_facts.loc, name);
    // A name over 255 bytes: ENAMETOOLONG, as every POSIX file system says.
    if (!loc.ok()) return loc.status().code() == StatusCode::kNameTooLong ? loc.status() : Status::NotFound(name);
    // A node with an open buffer exists even before its first commit.
    std::shared_ptr<Node> node = inodes_.RememberOpen(*loc);
    if (node == nullptr) {
      bool is_dir = false;
      auto exists = resolver_.Exists(*loc, &is_dir);
      if (!exists.ok()) return exists.status();
      if (!*exists) {
        if (absence_cacheable != nullptr) *absence_cacheable = inodes_.QuietSince(epoch);
        return Status::NotFound(name);
      }
      node = inodes_.Remember(*loc, is_dir, 1, epoch);
      if (node == nullptr) continue;  // a folder moved meanwhile
    }
    auto attr = AttrOf(*node);
    if (!attr.ok()) {
      inodes_.Forget(node->ino, 1);  // no entry for the kernel
    } else if (!inodes_.QuietSince(epoch)) {
      attr->uncached = true;  // resolved while names moved: ask again next time
    }
    return attr;
  }
}

void FileSystem::Forget(uint64_t ino, uint64_t count) { inodes_.Forget(ino, count); }

Result<Attr> FileSystem::GetAttr(uint64_t ino) {
  const uint64_t epoch = inodes_.epoch();
  auto node = inodes_.Find(ino);
  if (node == nullptr) return Status::NotFound("stale inode");
  auto attr = AttrOf(*node);
  // Read while a rename was under way, the file may have been between its
  // old and new place (no local file yet, no document any more): the kernel
  // must not keep those attributes (a size of 0 would hide its bytes).
  if (attr.ok() && !inodes_.QuietSince(epoch)) attr->uncached = true;
  return attr;
}

// ---- extended attributes ----

Result<std::vector<std::pair<std::string, std::string>>> FileSystem::Xattrs(uint64_t ino) {
  auto node = inodes_.Find(ino);
  if (node == nullptr) return Status::NotFound("stale inode");
  const InodeTable::NodeFacts facts = inodes_.Facts(*node);
  const Location& loc = facts.loc;
  std::vector<std::pair<std::string, std::string>> attrs;
  if (facts.is_dir || loc.parts.empty() || resolver_.LocalOnly(loc)) return attrs;
  auto add = [&](const core::DocView& doc) {
    if (doc.IsTombstone()) return;
    attrs = {{"user.earthstar.author", std::string(doc.author)},
             {"user.earthstar.timestamp", std::to_string(doc.timestamp)},
             {"user.earthstar.signature", std::string(doc.signature)},
             {"user.earthstar.contentHash", std::string(doc.contentHash)},
             {"user.earthstar.path", std::string(doc.path)},
             {"user.earthstar.workspace", loc.ws}};
    if (doc.deleteAfter) attrs.emplace_back("user.earthstar.deleteAfter", std::to_string(*doc.deleteAfter));
  };
  if (!loc.IsHistory()) {
    auto found = store_.replica().VisitWinner(loc.ws, loc.EsPath(), add);
    if (!found.ok()) return found.status();
    return attrs;
  }
  auto version = history_.Version(loc);
  if (!version.ok()) return version.status();
  if (version->has_value()) add(core::ViewOf(**version));
  return attrs;
}

Status FileSystem::RefuseXattrChange(uint64_t ino, const std::string& name) {
  if (name.rfind("user.earthstar.", 0) == 0) {
    auto node = inodes_.Find(ino);
    Log("setxattr " + (node ? Describe(inodes_.LocationOf(*node)) : std::string("?")) + " " + core::Printable(name) +
        ": refused, document metadata is read-only (it is signed)");
    return Status::PermissionDenied("read-only attribute");
  }
  return Status::NotSupported("extended attributes are not stored");
}

std::string FileSystem::DescribeInode(uint64_t ino, const std::string& name) {
  auto node = inodes_.Find(ino);
  std::string text = node ? Describe(inodes_.LocationOf(*node)) : "inode " + std::to_string(ino);
  if (!name.empty()) text += "/" + name;
  return core::Printable(text);
}

Result<struct statvfs> FileSystem::StatFs() {
  struct statvfs st {};
  if (::statvfs(config_.data_dir.c_str(), &st) != 0) return Status::IoError("statfs failed");
  st.f_namemax = 255;
  return st;
}

std::vector<Invalidation> FileSystem::OnChanges(const std::vector<core::Change>& changes) {
  return invalidator_.OnChanges(changes);
}

}  // namespace esfs::fs
