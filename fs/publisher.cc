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

Publisher::Publisher(core::Store& store, const core::Signer& signer, int64_t ephemeral_lifetime_us, Clock clock)
    : store_(store),
      signer_(signer),
      ephemeral_lifetime_us_(ephemeral_lifetime_us),
      clock_(clock ? std::move(clock) : Clock(SystemMicros)) {}

std::optional<int64_t> Publisher::DeleteAfterFor(const std::string& path) const {
  if (path.find('!') == std::string::npos) return std::nullopt;
  return clock_() + ephemeral_lifetime_us_;
}

Result<core::Document> Publisher::Publish(const std::string& ws, const std::string& path, std::string content) const {
  return store_.replica().Set(signer_, ws, path, std::move(content), DeleteAfterFor(path));
}

Result<std::vector<core::Document>> Publisher::PublishMany(std::vector<Item> items) const {
  std::vector<core::SetRequest> requests;
  requests.reserve(items.size());
  for (auto& item : items) {
    std::optional<int64_t> delete_after = DeleteAfterFor(item.path);
    requests.push_back({std::move(item.ws), std::move(item.path), std::move(item.content), delete_after});
  }
  return store_.replica().SetMany(signer_, requests);
}

}  // namespace esfs::fs
