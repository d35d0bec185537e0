#include "fs/folder_times.h"

#include <algorithm>
#include <vector>

namespace esfs::fs {

void FolderTimes::Touch(const Location& folder, int64_t ns) {
  std::scoped_lock lock(mu_);
  auto [it, inserted] = times_.emplace(folder.Key(), ns);
  if (!inserted) it->second = std::max(it->second, ns);
}

std::optional<int64_t> FolderTimes::Get(const Location& folder) const {
  std::scoped_lock lock(mu_);
  auto it = times_.find(folder.Key());
  if (it == times_.end()) return std::nullopt;
  return it->second;
}

void FolderTimes::Forget(const Location& folder) {
  std::scoped_lock lock(mu_);
  times_.erase(folder.Key());
}

void FolderTimes::MoveTree(const Location& from, const Location& to) {
  const std::string from_key = from.Key(), to_key = to.Key();
  if (from_key == to_key) return;
  std::scoped_lock lock(mu_);
  // Keys end with '/', so a folder's key is a prefix of exactly the keys
  // below it (Location::Key).
  auto below = [](std::map<std::string, int64_t>& map, const std::string& prefix) {
    std::vector<std::pair<std::string, int64_t>> taken;
    for (auto it = map.lower_bound(prefix); it != map.end() && it->first.compare(0, prefix.size(), prefix) == 0;) {
      taken.emplace_back(it->first.substr(prefix.size()), it->second);
      it = map.erase(it);
    }
    return taken;
  };
  const auto moving = below(times_, from_key);
  (void)below(times_, to_key);
  for (const auto& [rest, ns] : moving) times_[to_key + rest] = ns;
}

size_t FolderTimes::size() const {
  std::scoped_lock lock(mu_);
  return times_.size();
}

}  // namespace esfs::fs
