#include "fs/publisher.h"

#include <ctime>
#include <utility>

namespace esfs::fs {
namespace {

int64_t SystemMicros() {
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  return int64_t{now.tv_sec} * 1'000'000 + now.tv_nsec / 1000;
}

}  // namespace

Publisher::Publisher(core::Store& store, const core::Signer& signer, int64_t ephemeral_lifetime_us, Clock clock,
                     OwnWrites* own_writes)
    : store_(store),
      signer_(signer),
      ephemeral_lifetime_us_(ephemeral_lifetime_us),
      clock_(clock ? std::move(clock) : Clock(SystemMicros)),
      own_writes_(own_writes) {}

std::optional<int64_t> Publisher::DeleteAfterFor(const std::string& path) const {
  if (path.find('!') == std::string::npos) return std::nullopt;
  return clock_() + ephemeral_lifetime_us_;
}

Result<core::Document> Publisher::Publish(const std::string& ws, const std::string& path, std::string content) const {
  if (own_writes_ != nullptr) own_writes_->Begin(ws, path);
  auto doc = store_.replica().Set(signer_, ws, path, std::move(content), DeleteAfterFor(path));
  if (own_writes_ != nullptr) own_writes_->End(ws, path, doc.ok() ? doc->signature : std::string());
  return doc;
}

Result<std::vector<core::Document>> Publisher::PublishMany(std::vector<Item> items) const {
  std::vector<core::SetRequest> requests;
  requests.reserve(items.size());
  for (auto& item : items) {
    std::optional<int64_t> delete_after = DeleteAfterFor(item.path);
    requests.push_back({std::move(item.ws), std::move(item.path), std::move(item.content), delete_after});
  }
  if (own_writes_ != nullptr) {
    for (const auto& r : requests) own_writes_->Begin(r.workspace, r.path);
  }
  auto docs = store_.replica().SetMany(signer_, requests);
  if (own_writes_ != nullptr) {
    for (size_t i = 0; i < requests.size(); ++i) {
      own_writes_->End(requests[i].workspace, requests[i].path,
                       docs.ok() && i < docs->size() ? (*docs)[i].signature : std::string());
    }
  }
  return docs;
}

}  // namespace esfs::fs
