#include "fs/inode_table.h"

#include <cstdlib>

#include "fs/fs_types.h"
#include "fs/names.h"

namespace esfs::fs {

Location InodeTable::PlaceOf(const Node& node) {
  Location loc;
  const std::string& key = node.key_;
  const size_t nul = key.find('\0');
  loc.ws = key.substr(0, nul);
  for (size_t start = nul + 1; start < key.size();) {
    const size_t slash = key.find('/', start);
    loc.parts.push_back(key.substr(start, slash - start));
    start = slash + 1;
  }
  if (node.odd_segs_) {
    loc.segs = *node.odd_segs_;
  } else {
    loc.segs.reserve(loc.parts.size());
    for (const auto& part : loc.parts) loc.segs.push_back(NameToSegment(part));
  }
  loc.file_twin = node.file_twin_;
  return loc;
}

void InodeTable::SetPlace(Node& node, const Location& loc) {
  node.key_ = loc.Key();
  node.file_twin_ = loc.file_twin;
  node.odd_segs_.reset();
  for (size_t i = 0; i < loc.parts.size(); ++i) {
    if (loc.segs[i] != NameToSegment(loc.parts[i])) {
      node.odd_segs_ = std::make_unique<std::vector<std::string>>(loc.segs);
      break;
    }
  }
}

namespace {

// A place's preferred inode number: 63 bits of a hash of its key, never
// the root's or 0 (FNV-1a, then a final mix so that keys differing in the
// last byte spread over all bits).
uint64_t PreferredIno(std::string_view key) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (const unsigned char c : key) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h &= (uint64_t{1} << 63) - 1;
  return h <= kRootInode ? h + kRootInode + 1 : h;
}

}  // namespace

InodeTable::InodeTable(const Location& root) {
  auto node = std::make_shared<Node>(kRootInode);
  SetPlace(*node, root);
  node->is_dir_ = true;
  node->lookups_ = 1;
  ino_of_[node->key_] = kRootInode;
  nodes_[kRootInode] = std::move(node);
}

InodeTable::NodeFacts InodeTable::Facts(const Node& node) const {
  std::scoped_lock lock(mu_);
  return {PlaceOf(node), node.is_dir_, node.unlinked_, node.open_count_, node.lookups_};
}

Location InodeTable::LocationOf(const Node& node) const {
  std::scoped_lock lock(mu_);
  return PlaceOf(node);
}

std::shared_ptr<Node> InodeTable::Find(uint64_t ino) const {
  std::scoped_lock lock(mu_);
  auto it = nodes_.find(ino);
  return it == nodes_.end() ? nullptr : it->second;
}

std::shared_ptr<Node> InodeTable::FindAt(const Location& loc) const {
  std::scoped_lock lock(mu_);
  auto it = ino_of_.find(loc.Key());
  return it == ino_of_.end() ? nullptr : nodes_.at(it->second);
}

uint64_t InodeTable::InoAt(const Location& loc) const {
  std::scoped_lock lock(mu_);
  auto it = ino_of_.find(loc.Key());
  return it == ino_of_.end() ? 0 : it->second;
}

uint64_t InodeTable::epoch() const {
  std::scoped_lock lock(mu_);
  return epoch_;
}

bool InodeTable::QuietSince(uint64_t seen_epoch) const {
  std::scoped_lock lock(mu_);
  return moves_under_way_ == 0 && epoch_ == seen_epoch;
}

void InodeTable::BeginMove() {
  std::scoped_lock lock(mu_);
  ++epoch_;
  ++moves_under_way_;
}

void InodeTable::EndMove() {
  std::scoped_lock lock(mu_);
  ++epoch_;
  --moves_under_way_;
}

std::shared_ptr<Node> InodeTable::NodeForLocked(const Location& loc, bool is_dir) {
  const std::string key = loc.Key();
  if (auto it = ino_of_.find(key); it != ino_of_.end()) {
    std::shared_ptr<Node>& node = nodes_.at(it->second);
    node->is_dir_ = is_dir;
    return node;
  }
  // The place's own number unless a live node has it (a clash of hashes,
  // or the file that had this name is still open after an unlink).
  uint64_t ino = PreferredIno(key);
  while (ino <= kRootInode || nodes_.contains(ino)) ino = (ino + 1) & ((uint64_t{1} << 63) - 1);
  auto node = std::make_shared<Node>(ino);
  SetPlace(*node, loc);
  node->is_dir_ = is_dir;
  ino_of_[node->key_] = node->ino;
  nodes_[node->ino] = node;
  return node;
}

std::shared_ptr<Node> InodeTable::Remember(const Location& loc, bool is_dir, uint64_t lookups, uint64_t seen_epoch) {
  std::scoped_lock lock(mu_);
  if (seen_epoch != kAnyEpoch && seen_epoch != epoch_) return nullptr;
  auto node = NodeForLocked(loc, is_dir);
  node->unlinked_ = false;
  node->lookups_ += lookups;
  return node;
}

std::shared_ptr<Node> InodeTable::RememberOpen(const Location& loc) {
  std::scoped_lock lock(mu_);
  auto it = ino_of_.find(loc.Key());
  if (it == ino_of_.end()) return nullptr;
  std::shared_ptr<Node>& node = nodes_.at(it->second);
  if (node->open_count_ == 0 || node->unlinked_) return nullptr;
  ++node->lookups_;
  return node;
}

void InodeTable::EraseIfUnusedLocked(Node& node) {
  if (node.lookups_ > 0 || node.open_count_ > 0 || node.ino == kRootInode) return;
  if (auto it = ino_of_.find(node.key_); it != ino_of_.end() && it->second == node.ino) ino_of_.erase(it);
  nodes_.erase(node.ino);  // |node| lives on while a caller holds it
}

void InodeTable::Forget(uint64_t ino, uint64_t count) {
  std::scoped_lock lock(mu_);
  auto it = nodes_.find(ino);
  if (it == nodes_.end() || ino == kRootInode) return;
  std::shared_ptr<Node> node = it->second;
  node->lookups_ = node->lookups_ > count ? node->lookups_ - count : 0;
  EraseIfUnusedLocked(*node);
}

void InodeTable::Opened(Node& node) {
  std::scoped_lock lock(mu_);
  ++node.open_count_;
}

int InodeTable::Closed(Node& node) {
  std::scoped_lock lock(mu_);
  if (node.open_count_ <= 0) {
    std::abort();  // a close without an open: a bug (STYLE: broken invariants abort)
  }
  const int left = --node.open_count_;
  if (left == 0 && nodes_.contains(node.ino) && nodes_.at(node.ino).get() == &node) EraseIfUnusedLocked(node);
  return left;
}

std::vector<std::pair<std::string, bool>> InodeTable::OpenChildren(const Location& dir) const {
  std::scoped_lock lock(mu_);
  std::vector<std::pair<std::string, bool>> out;
  // Keys below |dir| sort right after its own: one range of the map.
  const std::string prefix = dir.Key();
  for (auto it = ino_of_.lower_bound(prefix); it != ino_of_.end() && it->first.starts_with(prefix); ++it) {
    const Node& node = *nodes_.at(it->second);
    // Directly inside: one more name (it ends with the key's last '/').
    const std::string_view rest = it->first.substr(prefix.size());
    if (node.open_count_ > 0 && !node.unlinked_ && !rest.empty() && rest.find('/') == rest.size() - 1) {
      out.emplace_back(std::string(rest.substr(0, rest.size() - 1)), node.is_dir_);
    }
  }
  return out;
}

void InodeTable::Unhash(const Location& loc) {
  std::scoped_lock lock(mu_);
  if (auto it = ino_of_.find(loc.Key()); it != ino_of_.end()) {
    nodes_.at(it->second)->unlinked_ = true;
    ino_of_.erase(it);
  }
}

bool InodeTable::UnhashIf(const Location& loc, uint64_t ino) {
  std::scoped_lock lock(mu_);
  auto it = ino_of_.find(loc.Key());
  if (it == ino_of_.end() || it->second != ino) return false;
  nodes_.at(ino)->unlinked_ = true;
  ino_of_.erase(it);
  return true;
}

void InodeTable::MoveTree(const Location& from, const Location& to, bool canonical_below) {
  std::scoped_lock lock(mu_);
  ++epoch_;
  const std::string from_key = from.Key(), to_key = to.Key();
  // The node at the target is replaced: its handles write nowhere now.
  if (auto it = ino_of_.find(to_key); it != ino_of_.end()) {
    nodes_.at(it->second)->unlinked_ = true;
    ino_of_.erase(it);
  }
  // Every name ends with '/' in a key, so the moving node and everything
  // under it are exactly the keys that start with its own: one range of the
  // ordered map (a save's rename must not walk every known inode).
  std::vector<uint64_t> moved;
  for (auto it = ino_of_.lower_bound(from_key); it != ino_of_.end() && it->first.starts_with(from_key);) {
    moved.push_back(it->second);
    it = ino_of_.erase(it);
  }
  const auto skip = static_cast<long>(from.parts.size());
  for (const uint64_t ino : moved) {
    Node& node = *nodes_.at(ino);
    const Location old = PlaceOf(node);
    Location moved_loc = to;
    moved_loc.parts.insert(moved_loc.parts.end(), old.parts.begin() + skip, old.parts.end());
    for (size_t i = static_cast<size_t>(skip); i < old.parts.size(); ++i) {
      moved_loc.segs.push_back(canonical_below ? NameToSegment(old.parts[i]) : old.segs[i]);
    }
    if (old.file_twin && old.parts.size() > from.parts.size()) moved_loc.file_twin = true;
    SetPlace(node, moved_loc);
    ino_of_[node.key_] = ino;
  }
}

std::vector<std::shared_ptr<Node>> InodeTable::ChildrenOf(const Location& folder) const {
  std::scoped_lock lock(mu_);
  std::vector<std::shared_ptr<Node>> out;
  const std::string prefix = folder.Key();
  for (auto it = ino_of_.lower_bound(prefix); it != ino_of_.end() && it->first.starts_with(prefix); ++it) {
    // One level below: exactly one more name, so one '/' after the prefix.
    const std::string_view rest = it->first.substr(prefix.size());
    if (!rest.empty() && rest.find('/') == rest.size() - 1) out.push_back(nodes_.at(it->second));
  }
  return out;
}

size_t InodeTable::size() const {
  std::scoped_lock lock(mu_);
  return nodes_.size();
}

}  // namespace esfs::fs
