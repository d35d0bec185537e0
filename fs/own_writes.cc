#include "fs/own_writes.h"

namespace esfs::fs {

void OwnWrites::Begin(const std::string& ws, const std::string& path) {
  std::scoped_lock lock(mu_);
  ++pending_[Key(ws, path)];
}

void OwnWrites::End(const std::string& ws, const std::string& path, const std::string& signature) {
  std::scoped_lock lock(mu_);
  if (auto it = pending_.find(Key(ws, path)); it != pending_.end() && --it->second <= 0) pending_.erase(it);
  if (signature.empty() || !signatures_.insert(signature).second) return;
  order_.push_back(signature);
  while (order_.size() > kMaxRemembered) {
    signatures_.erase(order_.front());
    order_.pop_front();
  }
}

OwnWrites::Verdict OwnWrites::Check(const std::string& ws, const std::string& path, const std::string& signature) {
  std::scoped_lock lock(mu_);
  if (signatures_.erase(signature) > 0) return Verdict::kOurs;
  if (pending_.contains(Key(ws, path))) return Verdict::kPending;
  return Verdict::kNotOurs;
}

size_t OwnWrites::remembered() const {
  std::scoped_lock lock(mu_);
  return signatures_.size();
}

}  // namespace esfs::fs
