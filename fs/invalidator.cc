#include "fs/invalidator.h"

#include "fs/names.h"

namespace esfs::fs {

std::vector<Invalidation> Invalidator::OnChanges(const std::vector<core::Change>& changes) {
  std::vector<Invalidation> out;
  for (const auto& change : changes) {
    if (single_workspace_ && *single_workspace_ != change.workspace) continue;
    OnChange(change, &out);
  }
  return out;
}

void Invalidator::OnChange(const core::Change& change, std::vector<Invalidation>* out) {
  const Location loc = LocationOfPath(change.workspace, change.path);
  // This mount's own save, already shown (the file's node holds this
  // document's seq): the kernel made the entry itself, and only the
  // file's attributes change (its mtime is the document's timestamp).
  // Walking the folders up would cost lookups and stats for every file
  // tar or cp writes.
  if (auto own = inodes_.FindAt(loc); own && !change.removed) {
    bool own_save = false;
    {
      std::scoped_lock lock(own->mu);
      own_save = own->cached_seq == change.seq;
    }
    if (own_save) {
      InvalidateHistory(loc, out);
      out->push_back({.inode = own->ino, .attributes_only = true});
      return;
    }
  }
  InvalidateHistory(loc, out);
  InvalidateTwin(loc, out);
  // Every level: the entry in its parent (it may be new or gone) and the
  // node's attributes and pages.
  Location level = loc;
  while (!level.parts.empty() || (!single_workspace_ && !level.ws.empty())) {
    InvalidateLevel(level, out);
    if (level.parts.empty()) break;
    level = level.Parent();
  }
}

void Invalidator::InvalidateLevel(const Location& level, std::vector<Invalidation>* out) {
  const Location parent = level.Parent();
  const uint64_t parent_ino = inodes_.InoAt(parent);
  const std::shared_ptr<Node> node = inodes_.FindAt(level);
  Invalidation inv;
  // An entry the kernel knows (we have its node) that still exists as the
  // same kind is left alone: invalidating it would unhash a folder that is
  // some process's working directory (getcwd() then fails with ENOENT).
  if (parent_ino != 0 && !StillThere(level, node.get())) {
    inv.parent = parent_ino;
    inv.name = level.parts.empty() ? level.ws : level.parts.back();
  }
  if (node) {
    inv.inode = node->ino;
    std::scoped_lock lock(node->mu);
    const InodeTable::NodeFacts facts = inodes_.Facts(*node);
    if (facts.is_dir) {
      inv.attributes_only = true;
    } else if (node->cached_seq != 0 && node->cached_seq == resolver_.CurrentSeq(level)) {
      // It already shows the current winner (this mount's own save, or a
      // notice that arrived after a newer change): keep its pages.
      inv.attributes_only = true;
    } else if (facts.open_count > 0 && node->writers == 0 && !node->dirty && parent_ino != 0) {
      // Only readers have it open: they keep the version they opened on
      // this inode (pages included), and the name gets a fresh inode with
      // the new version at the next lookup. Not while a save is pending
      // (the last writer's release commits after it counted itself out):
      // an unhashed node's save would go nowhere.
      inodes_.UnhashIf(level, node->ino);
      inv.attributes_only = true;
      inv.parent = parent_ino;
      inv.name = level.parts.back();
    } else {
      // The next open loads the new content (not a file a rename is
      // replacing: its opens get the replaced content) ...
      if (facts.open_count == 0 && !node->being_replaced) node->loaded = false;
      node->cached_seq = 0;  // ... and drops the kernel's pages
    }
  }
  if (inv.parent || inv.inode) out->push_back(inv);
}

void Invalidator::InvalidateHistory(const Location& loc, std::vector<Invalidation>* out) {
  // The version files of |loc| are the nodes one level below its history
  // folder.
  Location folder = loc;
  folder.parts.insert(folder.parts.begin(), kHistoryFolder);
  folder.segs.insert(folder.segs.begin(), NameToSegment(kHistoryFolder));
  for (const auto& node : inodes_.ChildrenOf(folder)) {
    std::scoped_lock lock(node->mu);
    if (inodes_.Facts(*node).open_count == 0) node->loaded = false;
    out->push_back({.inode = node->ino, .parent = 0, .name = {}});
  }
}

void Invalidator::InvalidateTwin(const Location& loc, std::vector<Invalidation>* out) {
  if (loc.parts.empty()) return;
  const Location parent = loc.Parent();
  const std::string name = loc.parts.back() + kTwinSuffix;
  const std::shared_ptr<Node> node = inodes_.FindAt(parent.Child(name));
  const uint64_t parent_ino = inodes_.InoAt(parent);
  if (!node || parent_ino == 0) return;
  {
    std::scoped_lock lock(node->mu);
    if (inodes_.Facts(*node).open_count == 0) node->loaded = false;
    node->cached_seq = 0;
  }
  out->push_back({.inode = node->ino, .parent = parent_ino, .name = name});
}

bool Invalidator::StillThere(const Location& loc, const Node* node) const {
  if (node == nullptr) return false;
  bool is_dir = false;
  auto exists = resolver_.Exists(loc, &is_dir);
  return exists.ok() && *exists && is_dir == inodes_.Facts(*node).is_dir;
}

}  // namespace esfs::fs
