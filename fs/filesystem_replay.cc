// The live view's group (fs/replayer.h): what to replay for a change from
// outside, and the answers to the replay thread's own requests. None of it
// signs or stores anything: the change is in the store already; the
// replay only walks the kernel through it so that its VFS reports it.
#include <algorithm>
#include <ctime>
#include <mutex>

#include "fs/filesystem.h"

namespace esfs::fs {

std::vector<Location> FileSystem::FoldersAbove(const Location& loc) const {
  std::vector<Location> folders;
  Location level;
  level.ws = loc.ws;
  if (!config_.single_workspace) folders.push_back(level);
  for (size_t i = 0; i + 1 < loc.parts.size() && i < loc.segs.size(); ++i) {
    level = level.Child(loc.parts[i], loc.segs[i]);
    folders.push_back(level);
  }
  return folders;
}

ReplayHint FileSystem::ReplayHintFor(const core::Change& change) {
  ReplayHint hint;
  if (config_.single_workspace && *config_.single_workspace != change.workspace) return hint;
  const Location loc = LocationOfPath(change.workspace, change.path);
  if (loc.parts.empty()) return hint;
  if (const std::shared_ptr<Node> node = inodes_.FindAt(loc)) {
    const InodeTable::NodeFacts facts = inodes_.Facts(*node);
    hint.file_known = !facts.is_dir && (facts.lookups > 0 || facts.open_count > 0);
  }
  // A workspace folder counts as known: it existed before its documents
  // arrived (a workspace is added, not made by a document).
  for (const Location& folder : FoldersAbove(loc)) {
    if (!folder.parts.empty() && inodes_.FindAt(folder) == nullptr) break;
    ++hint.known_folders;
  }
  return hint;
}

ReplayPlan FileSystem::PlanReplay(const core::Change& change, const ReplayHint& hint) {
  ReplayPlan plan;
  if (config_.single_workspace && *config_.single_workspace != change.workspace) return plan;
  const Location loc = LocationOfPath(change.workspace, change.path);
  if (loc.parts.empty() || loc.IsHistory() || loc.parts.size() != loc.segs.size()) return plan;
  // The names from the mount root, each checked like a local path's
  // component (document text: DESIGN 13). A path that cannot be shown is
  // not shown by the mount either.
  std::vector<std::string> names;
  if (!config_.single_workspace) names.push_back(loc.ws);
  names.insert(names.end(), loc.parts.begin(), loc.parts.end());
  auto checked = LocalRelPath::Make(names);
  if (!checked.ok() || resolver_.LocalOnly(loc)) return plan;

  bool found = false, live = false;
  std::string author, signature;
  auto visited = store_.replica().VisitWinner(loc.ws, loc.EsPath(), [&](const core::DocView& doc) {
    found = true;
    live = !doc.IsTombstone();
    author = doc.author;
    signature = doc.signature;
  });
  if (!visited.ok()) return plan;
  if (!change.removed) {
    // A version older than the winner of another author: the file shows
    // what it showed.
    if (found && author != change.author) return plan;
    if (found) {
      switch (own_writes_.Check(loc.ws, loc.EsPath(), signature)) {
        case OwnWrites::Verdict::kOurs: return plan;  // the kernel reported it already
        case OwnWrites::Verdict::kPending: plan.kind = ReplayPlan::Kind::kDefer; return plan;
        case OwnWrites::Verdict::kNotOurs: break;
      }
    }
  }
  const bool file_known = hint.file_known;
  bool known_now = false;
  if (const std::shared_ptr<Node> node = inodes_.FindAt(loc)) {
    plan.kernel_may_have_entry = true;
    std::scoped_lock lock(node->mu);
    // A local unsaved buffer wins: the remote version shows (or loses, by
    // LWW) after the local writer's save.
    if (node->writers > 0) {
      plan.kind = ReplayPlan::Kind::kDefer;
      return plan;
    }
    const InodeTable::NodeFacts facts = inodes_.Facts(*node);
    if (facts.is_dir) return plan;
    // Known now (looked up after the change arrived): enough to report its
    // deletion; a new file is still reported as new.
    known_now = facts.lookups > 0 || facts.open_count > 0;
  }
  bool is_dir = false;
  auto exists = resolver_.Exists(loc, &is_dir);
  if (!exists.ok() || (*exists && is_dir)) return plan;  // a folder here (the document is its twin file)

  const std::vector<Location> folders = FoldersAbove(loc);
  plan.names = std::move(*checked);
  if (live && *exists) {
    plan.kind = ReplayPlan::Kind::kFile;
    plan.file_known = file_known;
    // The folders the kernel knew when the change arrived existed before;
    // the first it did not know and every one below it are new to it.
    // A folder made by the replay of an earlier change of the same burst
    // is known now.
    size_t known = 0;
    while (known < folders.size() &&
           (known < hint.known_folders || folders[known].parts.empty() || inodes_.FindAt(folders[known]) != nullptr)) {
      ++known;
    }
    plan.known_folders = known;
    return plan;
  }
  if (*exists) return plan;  // still shown (a local file under the name)
  // Gone. Only a name the kernel knew is reported: a deletion of a file
  // that nothing here ever looked up (a tombstone pulled by a first sync)
  // would be an event about a name no watcher was told of.
  if (!file_known && !known_now) return plan;
  plan.kind = ReplayPlan::Kind::kDelete;
  // The folders that went with it (no document or local folder left),
  // deepest first; the kernel knew them, since it knew the file.
  size_t known = folders.size();
  while (known > 0) {
    const Location& folder = folders[known - 1];
    if (folder.parts.empty()) break;  // a workspace folder stays
    bool folder_is_dir = false;
    auto folder_exists = resolver_.Exists(folder, &folder_is_dir);
    if (!folder_exists.ok() || *folder_exists) break;
    --known;
  }
  plan.known_folders = known;
  return plan;
}

Result<Attr> FileSystem::ReplayPresentEntry(uint64_t parent_ino, const std::string& name, bool is_dir) {
  auto loc = ChildOf(parent_ino, name);
  if (!loc.ok()) return loc.status();
  std::shared_ptr<Node> node = inodes_.Remember(*loc, is_dir, 1);
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  Attr attr;
  attr.ino = node->ino;
  attr.is_dir = is_dir;
  attr.mode = is_dir ? 0755 : kDefaultFileMode;
  attr.mtime_ns = int64_t{now.tv_sec} * 1'000'000'000 + now.tv_nsec;
  attr.uncached = true;  // the kernel keeps it only for the unlink that follows
  return attr;
}

void FileSystem::ReplayRemoved(uint64_t parent_ino, const std::string& name) {
  auto loc = ChildOf(parent_ino, name);
  if (!loc.ok()) return;
  inodes_.Unhash(*loc);
  EntriesChanged(loc->Parent());
}

void FileSystem::ReplayMadeEntry(uint64_t parent_ino) {
  if (std::shared_ptr<Node> parent = inodes_.Find(parent_ino)) {
    const InodeTable::NodeFacts facts = inodes_.Facts(*parent);
    if (facts.is_dir) EntriesChanged(facts.loc);
  }
}

}  // namespace esfs::fs
