// es.4 paths and the `~` write-permission rule (spec §5).
#pragma once

#include <string_view>

#include "core/status.h"

namespace esfs::core {

inline constexpr size_t kMaxPathLength = 512;

// True for the characters a path may hold. '*' is excluded: 5.7.6 allows
// it but the pub (6.8.5) rejects it, and DESIGN decision 1 is to be strict.
bool IsPathChar(char c);

// The reference's path checks in order (must start with /, must not end
// with /, ...), including the rule that a path contains '!' iff the
// document is ephemeral. InvalidDocument with the reference's message.
Status CheckPath(std::string_view path, bool is_ephemeral);

// The reference's substring rule: a path without '~' is writable by anyone;
// otherwise only by an author whose "~" + address occurs in it.
bool AuthorCanWrite(std::string_view author, std::string_view path);

// AuthorCanWrite as a Status: "author <a> can't write to path <p>".
Status CheckAuthorCanWrite(std::string_view author, std::string_view path);

}  // namespace esfs::core
