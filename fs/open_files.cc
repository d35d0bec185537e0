#include "fs/open_files.h"

#include <utility>

#include "fs/fs_types.h"

namespace esfs::fs {

uint64_t OpenFiles::Add(Handle handle) {
  std::scoped_lock lock(mu_);
  const uint64_t fh = next_fh_++;
  handles_.emplace(fh, std::move(handle));
  return fh;
}

std::optional<Handle> OpenFiles::Get(uint64_t fh) const {
  std::scoped_lock lock(mu_);
  auto it = handles_.find(fh);
  if (it == handles_.end()) return std::nullopt;
  return it->second;
}

std::optional<Handle> OpenFiles::Remove(uint64_t fh) {
  std::scoped_lock lock(mu_);
  auto it = handles_.find(fh);
  if (it == handles_.end()) return std::nullopt;
  Handle handle = std::move(it->second);
  handles_.erase(it);
  return handle;
}

size_t OpenFiles::size() const {
  std::scoped_lock lock(mu_);
  return handles_.size();
}

std::string OpenFiles::TakeSpare() {
  std::scoped_lock lock(mu_);
  std::string spare = std::exchange(spare_, std::string());
  spare.clear();
  return spare;
}

void OpenFiles::OfferSpare(std::string& buffer) {
  const size_t capacity = buffer.capacity();
  {
    std::scoped_lock lock(mu_);
    if (capacity >= kSpareBufferMinBytes && capacity <= kSpareBufferMaxBytes && capacity > spare_.capacity()) {
      spare_.swap(buffer);
    }
  }
  buffer.clear();
  buffer.shrink_to_fit();  // the memory of a file no longer open goes back
}

}  // namespace esfs::fs
