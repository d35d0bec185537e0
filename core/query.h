// The reference's document query (earthstar 5.7.6 QueryOpts, spec §10.1).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace esfs::core {

struct Query {
  std::optional<std::string> path;
  std::optional<std::string> pathPrefix;
  std::optional<std::string> lowPath;   // path >= lowPath
  std::optional<std::string> highPath;  // path < highPath
  std::optional<std::string> participatingAuthor;
  std::optional<std::string> versionsByAuthor;
  bool includeHistory = false;
  std::optional<bool> contentIsEmpty;
  std::optional<int64_t> limit;  // 0 means no limit (the reference's quirk)
  std::optional<int64_t> now;    // default: the store's clock
};

}  // namespace esfs::core
