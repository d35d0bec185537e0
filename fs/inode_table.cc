#include "fs/inode_table.h"

#include <cstdlib>

#include "fs/fs_types.h"

namespace esfs::fs {

InodeTable::InodeTable(const Location& root) : next_ino_(kRootInode + 1) {
  auto node = std::make_shared<Node>(kRootInode);
  node->loc_ = root;
  node->is_dir_ = true;
  node->lookups_ = 1;
  ino_of_[root.Key()] = kRootInode;
  nodes_[kRootInode] = std::move(node);
}

InodeTable::NodeFacts InodeTable::Facts(const Node& node) const {
  std::scoped_lock lock(mu_);
  return {node.loc_, node.is_dir_, node.unlinked_, node.open_count_, node.lookups_};
}

Location InodeTable::LocationOf(const Node& node) const {
  std::scoped_lock lock(mu_);
  return node.loc_;
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

std::shared_ptr<Node> InodeTable::NodeForLocked(const Location& loc, bool is_dir) {
  const std::string key = loc.Key();
  if (auto it = ino_of_.find(key); it != ino_of_.end()) {
    std::shared_ptr<Node>& node = nodes_.at(it->second);
    node->is_dir_ = is_dir;
    return node;
  }
  auto node = std::make_shared<Node>(next_ino_++);
  node->loc_ = loc;
  node->is_dir_ = is_dir;
  ino_of_[key] = node->ino;
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
  if (auto it = ino_of_.find(node.loc_.Key()); it != ino_of_.end() && it->second == node.ino) ino_of_.erase(it);
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
  if (left == 0 && nodes_.count(node.ino) && nodes_.at(node.ino).get() == &node) EraseIfUnusedLocked(node);
  return left;
}

std::vector<std::pair<std::string, bool>> InodeTable::OpenChildren(const Location& dir) const {
  std::scoped_lock lock(mu_);
  std::vector<std::pair<std::string, bool>> out;
  // Keys below |dir| sort right after its own: one range of the map.
  const std::string prefix = dir.Key();
  for (auto it = ino_of_.lower_bound(prefix); it != ino_of_.end() && it->first.starts_with(prefix); ++it) {
    const Node& node = *nodes_.at(it->second);
    if (node.open_count_ > 0 && !node.unlinked_ && node.loc_.IsChildOf(dir)) {
      out.emplace_back(node.loc_.parts.back(), node.is_dir_);
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

void InodeTable::MoveTree(const Location& from, const Location& to) {
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
    std::vector<std::string> rest(node.loc_.parts.begin() + skip, node.loc_.parts.end());
    std::vector<std::string> rest_segs(node.loc_.segs.begin() + skip, node.loc_.segs.end());
    const bool twin = node.loc_.file_twin && !rest.empty();
    node.loc_ = to;
    node.loc_.parts.insert(node.loc_.parts.end(), rest.begin(), rest.end());
    node.loc_.segs.insert(node.loc_.segs.end(), rest_segs.begin(), rest_segs.end());
    if (twin) node.loc_.file_twin = true;
    ino_of_[node.loc_.Key()] = ino;
  }
}

std::vector<std::shared_ptr<Node>> InodeTable::ChildrenOf(const Location& folder) const {
  std::scoped_lock lock(mu_);
  std::vector<std::shared_ptr<Node>> out;
  const std::string prefix = folder.Key();
  for (auto it = ino_of_.lower_bound(prefix); it != ino_of_.end() && it->first.starts_with(prefix); ++it) {
    const std::shared_ptr<Node>& node = nodes_.at(it->second);
    if (node->loc_.parts.size() == folder.parts.size() + 1) out.push_back(node);
  }
  return out;
}

size_t InodeTable::size() const {
  std::scoped_lock lock(mu_);
  return nodes_.size();
}

}  // namespace esfs::fs
